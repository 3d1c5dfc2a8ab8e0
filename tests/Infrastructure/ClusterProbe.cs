using System.Globalization;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>Looks at the test cluster from the side (the superuser's Unix socket), never through the proxy.</summary>
public static class ClusterProbe
{
    /// <summary>Backends logged in as the target user (the proxy's upstream connections, and direct test connections).</summary>
    public static async Task<int> TargetBackendsAsync() =>
        int.Parse(await TestCluster.Postgres.ExecuteAsync($"select count(*) from pg_stat_activity where usename = '{TestCluster.TargetUser}'"), CultureInfo.InvariantCulture);

    /// <summary>Polls until the number of target-user backends is at most <paramref name="expected"/>; returns the last count seen.</summary>
    public static async Task<int> WaitForTargetBackendsAtMostAsync(int expected, TimeSpan timeout)
    {
        var last = -1;
        await Poll.UntilAsync(async () => (last = await TargetBackendsAsync()) <= expected, timeout);
        return last;
    }

    /// <summary>A libpq environment for a direct connection to the cluster as the target user, bypassing the proxy.</summary>
    public static Dictionary<string, string> DirectLibpqEnvironment() => new()
    {
        ["PGHOST"] = TestCluster.Postgres.Host,
        ["PGPORT"] = TestCluster.Postgres.Port.ToString(CultureInfo.InvariantCulture),
        ["PGUSER"] = TestCluster.TargetUser,
        ["PGPASSWORD"] = TestCluster.TargetPassword,
        ["PGDATABASE"] = TestCluster.TargetDatabase,
        ["PGCONNECT_TIMEOUT"] = "15",
    };

    /// <summary>A libpq conninfo string for a direct connection (for psycopg).</summary>
    public static string DirectConnInfo() =>
        $"host={TestCluster.Postgres.Host} port={TestCluster.Postgres.Port} user={TestCluster.TargetUser} password={TestCluster.TargetPassword} dbname={TestCluster.TargetDatabase} connect_timeout=15";
}
