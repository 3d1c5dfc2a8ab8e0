using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// <c>hoopproxy serve</c> reloads its rules when the configuration file changes — for sessions already open too —
/// and a bad file is rejected with the reason logged while the rules in force stay.
/// </summary>
public sealed class PolicyReloadTests
{
    private static string Configuration(int port, string policies) => $$"""
        {
          "Postgres": {
            "Listen": "127.0.0.1:{{port}}",
            "DefaultTarget": "bank",
            "Targets": { "bank": { "Host": "127.0.0.1", "Port": {{TestCluster.Postgres.Port}}, "Database": "bank",
                                   "Username": "app", "Password": "app-secret", "SslMode": "disable" } }
          },
          "Users": { "alice": { "Password": "alice-pw", "Groups": [ "analysts" ] } },
          "Policies": {{policies}}
        }
        """;

    private const string NoRules = "[]";

    private const string BlockMarker = """
        [ { "Name": "no-marker", "Action": "Block", "Match": { "Pattern": "reload-marker" } } ]
        """;

    [Test]
    public async Task Changed_rules_apply_to_open_sessions_and_a_bad_file_keeps_the_rules_in_force()
    {
        var folder = Directory.CreateTempSubdirectory("hoopproxy-reload-").FullName;
        var port = LocalPostgresCluster.FreeTcpPort();
        var configPath = Path.Combine(folder, "hoopproxy.json");
        await File.WriteAllTextAsync(configPath, Configuration(port, NoRules));
        using var serve = ServeProcess.Start(configPath);
        try
        {
            var connectionString = new Npgsql.NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = port, Username = "alice", Password = "alice-pw", Database = "bank", Pooling = false,
            }.ConnectionString;
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            Assert.That(await Poll.UntilAsync(async () =>
            {
                try
                {
                    await connection.OpenAsync();
                    return true;
                }
                catch (Npgsql.NpgsqlException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)), Is.True, serve.Output);

            async Task<string> RunMarkerAsync()
            {
                await using var command = new Npgsql.NpgsqlCommand("SELECT 'reload-marker'", connection);
                try
                {
                    return (string)(await command.ExecuteScalarAsync())!;
                }
                catch (Npgsql.PostgresException e)
                {
                    return e.SqlState;
                }
            }

            Assert.That(await RunMarkerAsync(), Is.EqualTo("reload-marker"), "no rules yet");

            await File.WriteAllTextAsync(configPath, Configuration(port, BlockMarker));
            Assert.That(await Poll.UntilAsync(async () => await RunMarkerAsync() == "42501", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200)), Is.True,
                "the open session follows the new rule: " + serve.Output);

            await File.WriteAllTextAsync(configPath, Configuration(port, """[ { "Name": "broken", "Action": "Block", "Match": { "Classes": [ "NOPE" ] } } ]"""));
            Assert.That(await Poll.UntilAsync(() => Task.FromResult(serve.Output.Contains("rejected", StringComparison.Ordinal)), TimeSpan.FromSeconds(15)), Is.True, serve.Output);
            Assert.That(serve.Output, Does.Contain("Policies:0:Match:Classes"));
            Assert.That(await RunMarkerAsync(), Is.EqualTo("42501"), "the rules in force stay");
        }
        finally
        {
            await serve.TerminateAsync(TimeSpan.FromSeconds(20));
            Directory.Delete(folder, recursive: true);
        }
    }
}
