using System.Text.Json;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>psycopg 3 (libpq pipeline mode) through the proxy, checked against the same script on a direct connection.</summary>
public sealed class PsycopgTests
{
    /// <summary>Debian's python3 has python3-psycopg; the python3 first on PATH may be another installation.</summary>
    private const string Python = "/usr/bin/python3";

    private const string PipelineScript = """
        import json, sys
        import psycopg
        from psycopg import errors

        conninfo, table = sys.argv[1], sys.argv[2]
        out = {}

        def outcome(cursor):
            # Only what does not depend on timing: psycopg raises a pipeline error at whichever later
            # execute() or sync first sees it, and that moment varies with latency.
            try:
                row = cursor.fetchone()
                return ["row", row[0] if row else None]
            except psycopg.Error:
                return ["no result"]

        with psycopg.connect(conninfo, autocommit=True) as conn:
            out["pipeline_supported"] = psycopg.Pipeline.is_supported()
            conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, note text)")
            cursors = {name: conn.cursor() for name in ["select", "insert1", "insert2", "fail", "insert3"]}
            try:
                with conn.pipeline() as p:
                    cursors["select"].execute("SELECT 1 + %s", [1])
                    cursors["insert1"].execute(f"INSERT INTO {table} VALUES (%s, %s) RETURNING id", [1, "one"])
                    p.sync()
                    cursors["insert2"].execute(f"INSERT INTO {table} VALUES (%s, %s) RETURNING id", [2, "two"])
                    cursors["fail"].execute("SELECT 1 / %s", [0])
                    cursors["insert3"].execute(f"INSERT INTO {table} VALUES (%s, %s) RETURNING id", [3, "three"])
                out["error"] = None
            except psycopg.Error as e:
                out["error"] = [type(e).__name__, e.sqlstate, e.diag.message_primary]
            for name, cursor in cursors.items():
                out[name] = outcome(cursor)

            with conn.pipeline():
                after = conn.cursor().execute("SELECT count(*), string_agg(note, ',' ORDER BY id) FROM " + table)
                again = conn.cursor().execute("SELECT %s::text || '-ok'", ["pipeline"])
            out["rows_after"] = list(after.fetchone())
            out["pipeline_again"] = again.fetchone()[0]
            out["plain_after"] = conn.execute("SELECT current_user").fetchone()[0]
            conn.execute(f"DROP TABLE {table}")

        print(json.dumps(out, sort_keys=True, separators=(",", ":")))
        """;

    [Test]
    public async Task Pipeline_with_a_failing_statement_behaves_as_on_a_direct_connection()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        var directory = Directory.CreateTempSubdirectory("hoopproxy-psycopg-").FullName;
        try
        {
            var script = Path.Combine(directory, "pipeline.py");
            await File.WriteAllTextAsync(script, PipelineScript);
            var proxyConnInfo = $"host=127.0.0.1 port={proxy.Port} user={ProxyInstance.UserName} password={ProxyInstance.UserPassword} dbname={TestCluster.TargetDatabase} connect_timeout=15 sslmode=disable";

            var direct = await RunAsync(script, ClusterProbe.DirectConnInfo(), $"psy_direct_{Guid.NewGuid():N}"[..24]);
            var proxied = await RunAsync(script, proxyConnInfo, $"psy_proxy_{Guid.NewGuid():N}"[..24]);

            Assert.That(proxied.GetProperty("pipeline_supported").GetBoolean(), Is.True);
            Assert.That(proxied.GetProperty("error").ToString(), Is.EqualTo("""["DivisionByZero","22012","division by zero"]"""));
            Assert.That(proxied.GetProperty("select").ToString(), Is.EqualTo("""["row",2]"""));
            Assert.That(proxied.GetProperty("insert1").ToString(), Is.EqualTo("""["row",1]"""));
            Assert.That(proxied.GetProperty("fail").ToString(), Is.EqualTo("""["no result"]"""));
            Assert.That(proxied.GetProperty("insert3").ToString(), Is.EqualTo("""["no result"]"""));
            Assert.That(proxied.GetProperty("rows_after").ToString(), Is.EqualTo("""[1,"one"]"""), "the failed pipeline segment must be rolled back");
            Assert.That(proxied.GetProperty("pipeline_again").GetString(), Is.EqualTo("pipeline-ok"));
            Assert.That(proxied.GetProperty("plain_after").GetString(), Is.EqualTo(TestCluster.TargetUser));
            Assert.That(proxied.ToString(), Is.EqualTo(direct.ToString()), "psycopg saw something different through the proxy than directly");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<JsonElement> RunAsync(string script, string connInfo, string table)
    {
        var result = await ExternalProcess.RunAsync(Python, [script, connInfo, table], timeout: TimeSpan.FromSeconds(60));
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.Clone();
    }
}
