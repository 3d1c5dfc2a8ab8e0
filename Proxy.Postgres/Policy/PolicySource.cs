namespace HoopProxy.Postgres.Policy;

/// <summary>
/// The rules in force. The host replaces them when the configuration file changes; sessions read
/// <see cref="Current"/> for every decision, so the next statement of every open session follows the new rules.
/// </summary>
public sealed class PolicySource(StatementPolicy initial)
{
    private volatile Snapshot _snapshot = new(initial, 1);

    private sealed record Snapshot(StatementPolicy Policy, int Version);

    public StatementPolicy Current => _snapshot.Policy;

    /// <summary>How many times the rules were replaced, plus one (for the log).</summary>
    public int Version => _snapshot.Version;

    public void Replace(StatementPolicy policy)
    {
        lock (this)
        {
            _snapshot = new Snapshot(policy, _snapshot.Version + 1);
        }
    }
}
