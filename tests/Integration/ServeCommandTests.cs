using System.Diagnostics;
using System.Globalization;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>The <c>hoopproxy serve --config FILE</c> executable with the issue's own configuration, driven by psql.</summary>
public sealed class ServeCommandTests
{
    [Test]
    public async Task The_documented_configuration_serves_psql_over_plaintext_and_tls()
    {
        using var certificates = TestCertificates.Create();
        var port = LocalPostgresCluster.FreeTcpPort();
        var configPath = Path.Combine(certificates.Directory, "hoopproxy.json");
        // The example from the issue, with the test cluster's port; the certificate paths are relative to the file.
        await File.WriteAllTextAsync(configPath, $$"""
            {
              "Postgres": {
                "Listen": "127.0.0.1:{{port}}",
                "DefaultTarget": "bank",
                "Tls": { "CertificateFile": "server.crt", "KeyFile": "server.key" },
                "Targets": {
                  "bank": { "Host": "127.0.0.1", "Port": {{TestCluster.Postgres.Port}}, "Database": "bank",
                            "Username": "app", "Password": "app-secret", "SslMode": "prefer" }
                }
              },
              "Users": {
                "alice": { "Password": "alice-pw", "Groups": [ "analysts" ] }
              }
            }
            """);

        using var proxy = StartServe(configPath);
        try
        {
            var environment = new Dictionary<string, string> { ["PGPASSWORD"] = "alice-pw", ["PGCONNECT_TIMEOUT"] = "5" };
            var portText = port.ToString(CultureInfo.InvariantCulture);
            ExternalProcess.Result plain = null!;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            do
            {
                plain = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-h", "127.0.0.1", "-p", portText, "-U", "alice", "bank", "-c", "SELECT current_user"], environment);
            }
            while (plain.ExitCode != 0 && plain.StandardError.Contains("Connection refused", StringComparison.Ordinal) && DateTime.UtcNow < deadline && await Delay());

            Assert.That(plain.ExitCode, Is.Zero, plain.Combined);
            Assert.That(plain.StandardOutput.Trim(), Is.EqualTo("app"));

            environment["PGSSLMODE"] = "verify-full";
            environment["PGSSLROOTCERT"] = certificates.CaCertificateFile;
            var tls = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-h", "localhost", "-p", portText, "-U", "alice", "bank", "-c", "SELECT current_database()"], environment);
            Assert.That(tls.ExitCode, Is.Zero, tls.Combined);
            Assert.That(tls.StandardOutput.Trim(), Is.EqualTo("bank"));
        }
        finally
        {
            // SIGTERM: the host drains and exits cleanly.
            Process.Start("kill", ["-TERM", proxy.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            var exited = proxy.WaitForExit(TimeSpan.FromSeconds(30));
            if (!exited)
            {
                proxy.Kill(entireProcessTree: true);
            }

            Assert.That(exited, Is.True, "the proxy exits on SIGTERM");
            Assert.That(proxy.ExitCode, Is.Zero);
        }
    }

    [Test]
    public async Task Sigterm_lets_a_running_query_finish_before_the_process_exits()
    {
        var port = LocalPostgresCluster.FreeTcpPort();
        var configPath = Path.Combine(Path.GetTempPath(), $"hoopproxy-drain-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(configPath, $$"""
            {
              "Postgres": {
                "Listen": "127.0.0.1:{{port}}", "DefaultTarget": "bank",
                "Limits": { "ShutdownTimeout": "00:00:30" },
                "Targets": { "bank": { "Host": "127.0.0.1", "Port": {{TestCluster.Postgres.Port}}, "Database": "bank",
                                       "Username": "app", "Password": "app-secret", "SslMode": "disable" } }
              },
              "Users": { "alice": { "Password": "alice-pw" } }
            }
            """);
        using var proxy = StartServe(configPath);
        try
        {
            var connectionString = $"Host=127.0.0.1;Port={port};Username=alice;Password=alice-pw;Database=bank;Pooling=false;Timeout=5";
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    await connection.OpenAsync();
                    break;
                }
                catch (Npgsql.NpgsqlException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                }
            }

            // Longer than System.CommandLine's default two-second termination timeout.
            await using var command = new Npgsql.NpgsqlCommand("SELECT 42 FROM pg_sleep(4)", connection);
            var running = command.ExecuteScalarAsync();
            while (await TestCluster.Postgres.ExecuteAsync("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT 42 FROM pg_sleep(4)' AND state = 'active'") != "1")
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the query never started");
                await Task.Delay(50);
            }

            Process.Start("kill", ["-TERM", proxy.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

            Assert.That(await running, Is.EqualTo(42), "the query in flight when SIGTERM arrived completes");
            Assert.That(proxy.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "the proxy exits once the session is drained");
            Assert.That(proxy.ExitCode, Is.Zero);
        }
        finally
        {
            if (!proxy.HasExited)
            {
                proxy.Kill(entireProcessTree: true);
            }

            File.Delete(configPath);
        }
    }

    [Test]
    public async Task Kill_9_during_pgbench_leaves_records_that_verify_after_a_restart()
    {
        var folder = Directory.CreateTempSubdirectory("hoopproxy-crash-").FullName;
        try
        {
            HoopProxy.Core.Recording.RecordingSigningKey.Generate(Path.Combine(folder, "recording.key"));
            var port = LocalPostgresCluster.FreeTcpPort();
            var configPath = Path.Combine(folder, "hoopproxy.json");
            await File.WriteAllTextAsync(configPath, $$"""
                {
                  "Postgres": {
                    "Listen": "127.0.0.1:{{port}}", "DefaultTarget": "bank",
                    "Targets": { "bank": { "Host": "127.0.0.1", "Port": {{TestCluster.Postgres.Port}}, "Database": "bank",
                                           "Username": "app", "Password": "app-secret", "SslMode": "disable" } }
                  },
                  "Users": { "alice": { "Password": "alice-pw" } },
                  "Recording": { "Directory": "recordings", "SigningKeyFile": "recording.key", "FlushInterval": "00:00:00.200" }
                }
                """);
            var script = Path.Combine(folder, "select.sql");
            await File.WriteAllTextAsync(script, "SELECT 'crash-test';\n");
            var environment = new Dictionary<string, string>
            {
                ["PGHOST"] = "127.0.0.1", ["PGPORT"] = port.ToString(CultureInfo.InvariantCulture), ["PGUSER"] = "alice",
                ["PGPASSWORD"] = "alice-pw", ["PGDATABASE"] = "bank", ["PGCONNECT_TIMEOUT"] = "5",
            };

            using (var proxy = StartServe(configPath))
            {
                await WaitUntilServingAsync(environment);
                var pgbench = ExternalProcess.RunAsync("pgbench", ["-n", "-f", script, "-c", "2", "-T", "60"], environment, timeout: TimeSpan.FromMinutes(2));
                var recordings = Path.Combine(folder, "recordings");
                // Wait until both benchmark sessions have records on disk, past a flush.
                Assert.That(await Poll.UntilAsync(() => Task.FromResult(
                    Directory.EnumerateFiles(recordings, "*.hrec").Count(f => new FileInfo(f).Length > 64 * 1024) >= 2), TimeSpan.FromSeconds(30)), Is.True);
                proxy.Kill(); // SIGKILL: no drain, no seal
                await proxy.WaitForExitAsync();
                var bench = await pgbench;
                Assert.That(bench.ExitCode, Is.Not.Zero, "pgbench lost its connections");
            }

            using (var restarted = StartServe(configPath))
            {
                await WaitUntilServingAsync(environment);
                Process.Start("kill", ["-TERM", restarted.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
                Assert.That(restarted.WaitForExit(TimeSpan.FromSeconds(30)), Is.True);
            }

            var verify = await ExternalProcess.RunAsync("dotnet", [HoopproxyDll, "sessions", "verify", "--config", configPath]);
            Assert.That(verify.ExitCode, Is.Zero, verify.Combined);

            var list = await ExternalProcess.RunAsync("dotnet", [HoopproxyDll, "sessions", "list", "--config", configPath, "--json"]);
            var interrupted = System.Text.Json.JsonDocument.Parse(list.StandardOutput).RootElement.EnumerateArray()
                .Where(s => s.GetProperty("EndReason").GetString() == "interrupted").Select(s => s.GetProperty("Id").GetString()!).ToList();
            Assert.That(interrupted, Has.Count.EqualTo(2), list.StandardOutput);
            foreach (var id in interrupted)
            {
                var show = await ExternalProcess.RunAsync("dotnet", [HoopproxyDll, "sessions", "show", id, "--config", configPath, "--rows", "1"]);
                Assert.That(show.ExitCode, Is.Zero, show.Combined);
                Assert.That(show.StandardOutput, Does.Contain("SELECT 'crash-test'").And.Contain("crash-test"), "the statements flushed before the kill are in the record");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task WaitUntilServingAsync(Dictionary<string, string> environment)
    {
        var ready = await Poll.UntilAsync(async () =>
            (await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT 1"], environment)).ExitCode == 0, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        Assert.That(ready, Is.True, "the proxy did not start serving");
    }

    [Test]
    public async Task A_bad_configuration_exits_with_a_message_naming_the_key()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hoopproxy-bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """{ "Postgres": { "Listen": "127.0.0.1:1", "Targets": { "x": { "Host": "h", "Database": "d" } } } }""");
        try
        {
            var result = await ExternalProcess.RunAsync("dotnet", [HoopproxyDll, "serve", "--config", path]);
            Assert.That(result.ExitCode, Is.EqualTo(2));
            Assert.That(result.StandardError, Does.Contain("Postgres:Targets:x:Username"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task An_ssh_target_key_file_that_cannot_be_read_exits_with_a_message_naming_the_key()
    {
        var folder = Directory.CreateTempSubdirectory("hoopproxy-bad-ssh-");
        var path = Path.Combine(folder.FullName, "hoopproxy.json");
        await File.WriteAllTextAsync(path, """
            { "Ssh": { "Listen": "127.0.0.1:0", "HostKeyFile": "hostkey", "DefaultTarget": "web",
                       "Targets": { "web": { "Host": "127.0.0.1", "Username": "deploy", "PrivateKeyFile": "missing_key",
                                             "HostKey": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" } } },
              "Users": { "alice": { "Password": "alice-pw" } } }
            """);
        try
        {
            var result = await ExternalProcess.RunAsync("dotnet", [HoopproxyDll, "serve", "--config", path], timeout: TimeSpan.FromSeconds(60));
            Assert.That(result.ExitCode, Is.EqualTo(2), result.Combined);
            Assert.That(result.StandardError, Does.Contain("configuration error: Ssh:Targets:web:PrivateKeyFile:").And.Contain("missing_key"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string HoopproxyDll => ServeProcess.HoopproxyDll;

    private static Process StartServe(string configPath) => ServeProcess.Start(configPath).Process;

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }
}
