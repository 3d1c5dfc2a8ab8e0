namespace HoopProxy.Core.Identity;

/// <summary>A person or agent known to the proxy. The password is the proxy's own, never a target's.</summary>
public sealed record ProxyUser(string Name, string? Password, IReadOnlyList<string> Groups)
{
    /// <summary>OpenSSH public key lines (<c>ssh-ed25519 AAAA… alice@laptop</c>) the user may log in to the SSH listener with.</summary>
    public IReadOnlyList<string> AuthorizedKeys { get; init; } = [];

    /// <summary>The generated record ToString would print the password into any log or exception that shows a user.</summary>
    public override string ToString() => $"{Name} ({string.Join(", ", Groups)})";
}
