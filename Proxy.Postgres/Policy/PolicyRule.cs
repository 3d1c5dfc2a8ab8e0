namespace HoopProxy.Postgres.Policy;

/// <summary>One entry of <c>Policies</c>: first match wins, in the order of the file.</summary>
public sealed record PolicyRule
{
    public required string Name { get; init; }
    public required PolicyAction Action { get; init; }
    public required PolicyMatch Match { get; init; }

    /// <summary>Review: the groups or users whose members may approve; someone never approves their own request.</summary>
    public IReadOnlyList<string> Approvers { get; init; } = [];

    /// <summary>Review: how long a statement waits for a decision before it is refused.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
}
