namespace HoopProxy.Core.Identity;

/// <summary>A person or agent known to the proxy. The password is the proxy's own, never a target's.</summary>
public sealed record ProxyUser(string Name, string? Password, IReadOnlyList<string> Groups)
{
    /// <summary>The generated record ToString would print the password into any log or exception that shows a user.</summary>
    public override string ToString() => $"{Name} ({string.Join(", ", Groups)})";
}
