namespace HoopProxy.Postgres.Policy;

/// <summary>
/// The rules in force. The host replaces them when the configuration file changes; sessions read
/// <see cref="Current"/> for every decision and compare <see cref="Version"/> to know when their cached verdicts are stale.
/// </summary>
public sealed class PolicySource(StatementPolicy initial)
{
    private volatile Snapshot _snapshot = new(initial, 1);

    private sealed record Snapshot(StatementPolicy Policy, int Version);

    public StatementPolicy Current => _snapshot.Policy;

    public int Version => _snapshot.Version;

    /// <summary>The rules and their version, read together.</summary>
    public (StatementPolicy Policy, int Version) Read()
    {
        var snapshot = _snapshot;
        return (snapshot.Policy, snapshot.Version);
    }

    public void Replace(StatementPolicy policy)
    {
        lock (this)
        {
            _snapshot = new Snapshot(policy, _snapshot.Version + 1);
        }
    }
}
