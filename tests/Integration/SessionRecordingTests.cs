using System.Text;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>Sessions through the proxy leave a sealed, verifiable record of what the client saw — and never a password.</summary>
public sealed class SessionRecordingTests
{
    private static string AllRecordedBytes(RecordingFixture fixture) =>
        string.Concat(Directory.EnumerateFiles(fixture.Options.Directory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != ".lock") // held open by a live store, and empty
            .Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));

    private static List<SessionRecord> Records(RecordingStore store, SessionSummary session) =>
        store.OpenSession(session.SessionId).ReadRecords().ToList();

    private static string Bytes(IEnumerable<SessionRecord> records, RecordDirection direction) =>
        string.Concat(records.Where(r => r.Type == RecordType.Data && r.Direction == direction).Select(r => Encoding.UTF8.GetString(r.Data.Span)));

    [Test]
    public async Task A_psql_session_is_recorded_both_ways_sealed_and_verifiable_without_any_password()
    {
        using var fixture = new RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using (var proxy = await ProxyInstance.StartAsync(recordings: store))
            {
                var result = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT 'recorded-' || 42"], proxy.LibpqEnvironment());
                Assert.That(result.ExitCode, Is.Zero, result.Combined);
                Assert.That(await Poll.UntilAsync(() => Task.FromResult(store.ListSessions().Any(s => s.State == SessionState.Sealed)), TimeSpan.FromSeconds(20)), Is.True);
            }

            var session = store.ListSessions().Single();
            Assert.That((session.Protocol, session.Target, session.Identity), Is.EqualTo(("postgres", TestCluster.TargetDatabase, ProxyInstance.UserName)));
            var records = Records(store, session);
            Assert.That(records[0].Type, Is.EqualTo(RecordType.Start));
            var login = records.Single(r => r.EventType == "login");
            Assert.That(login.Fields!["outcome"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(Bytes(records, RecordDirection.ClientToServer), Does.Contain("SELECT 'recorded-' || 42"));
            Assert.That(Bytes(records, RecordDirection.ServerToClient), Does.Contain("recorded-42"));
            Assert.That(records.Single(r => r.EventType == "disconnect").Fields!["reason"]!.GetValue<string>(), Does.Contain("client"));
            Assert.That(records[^1].Type, Is.EqualTo(RecordType.Seal));
            Assert.That(store.Verify().IsValid, Is.True, store.Verify().ToString());
        }

        var everything = AllRecordedBytes(fixture);
        Assert.That(everything, Does.Not.Contain(ProxyInstance.UserPassword), "the client's password");
        Assert.That(everything, Does.Not.Contain(TestCluster.TargetPassword), "the target's password");
    }

    [Test]
    public async Task A_refused_login_is_recorded_with_its_reason()
    {
        using var fixture = new RecordingFixture();
        await using var store = await fixture.OpenAsync();
        await using (var proxy = await ProxyInstance.StartAsync(recordings: store))
        {
            await using var connection = new NpgsqlConnection(proxy.ConnectionString(password: "not-alices-password"));
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.That(error!.SqlState, Is.EqualTo("28P01"));
            Assert.That(await Poll.UntilAsync(() => Task.FromResult(store.ListSessions().Any(s => s.State == SessionState.Sealed)), TimeSpan.FromSeconds(20)), Is.True);
        }

        // Npgsql may try the login more than once; every attempt is a recorded, refused session.
        var sessions = store.ListSessions();
        Assert.That(sessions, Is.Not.Empty);
        foreach (var session in sessions)
        {
            Assert.That(session.Identity, Is.Null, "nobody was authenticated");
            var login = Records(store, session).Single(r => r.EventType == "login");
            Assert.That(login.Fields!["outcome"]!.GetValue<string>(), Is.EqualTo("failure"));
            Assert.That(login.Fields!["sqlstate"]!.GetValue<string>(), Is.EqualTo("28P01"));
            Assert.That(login.Fields!["user"]!.GetValue<string>(), Is.EqualTo(ProxyInstance.UserName));
            Assert.That(session.EndReason, Does.Contain("28P01"));
        }

        Assert.That(AllRecordedBytes(fixture), Does.Not.Contain("not-alices-password"));
    }

    [Test]
    public async Task Without_a_writable_recording_directory_sessions_are_refused()
    {
        using var fixture = new RecordingFixture();
        await using var store = await fixture.OpenAsync();
        await using var proxy = await ProxyInstance.StartAsync(recordings: store);
        // The directory turns into a file: nothing can be recorded any more.
        Directory.Delete(fixture.Options.Directory, recursive: true);
        await File.WriteAllTextAsync(fixture.Options.Directory, "not a directory");

        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.That(error!.SqlState, Is.EqualTo("57P03"));
        Assert.That(error.MessageText, Does.Contain("recording"));
    }

    [Test]
    public async Task The_sessions_cli_lists_and_verifies_the_record_and_names_a_tampered_file()
    {
        using var fixture = new RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using var proxy = await ProxyInstance.StartAsync(recordings: store);
            var result = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT 1"], proxy.LibpqEnvironment());
            Assert.That(result.ExitCode, Is.Zero, result.Combined);
            Assert.That(await Poll.UntilAsync(() => Task.FromResult(store.ListSessions().Any(s => s.State == SessionState.Sealed)), TimeSpan.FromSeconds(20)), Is.True);
        }

        var config = Path.Combine(fixture.Root, "hoopproxy.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } },
              "Recording": { "Directory": "{{fixture.Options.Directory}}", "SigningKeyFile": "{{fixture.KeyFile}}" }
            }
            """);
        var hoopproxy = Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");

        var list = await ExternalProcess.RunAsync("dotnet", [hoopproxy, "sessions", "list", "--config", config]);
        Assert.That(list.ExitCode, Is.Zero, list.Combined);
        Assert.That(list.StandardOutput, Does.Contain(ProxyInstance.UserName).And.Contain(TestCluster.TargetDatabase));

        var verify = await ExternalProcess.RunAsync("dotnet", [hoopproxy, "sessions", "verify", "--config", config]);
        Assert.That(verify.ExitCode, Is.Zero, verify.Combined);
        Assert.That(verify.StandardOutput, Does.StartWith("OK: 1 sessions"));

        var file = Directory.EnumerateFiles(fixture.Options.Directory, "*" + RecordingFormat.FileExtension).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[bytes.Length / 2] ^= 0x20;
        await File.WriteAllBytesAsync(file, bytes);
        var tampered = await ExternalProcess.RunAsync("dotnet", [hoopproxy, "sessions", "verify", "--config", config]);
        Assert.That(tampered.ExitCode, Is.EqualTo(1), tampered.Combined);
        Assert.That(tampered.StandardOutput, Does.Contain(Path.GetFileName(file)));
    }

    [Test]
    public async Task Show_replays_psql_and_npgsql_statements_with_their_results_as_the_client_saw_them()
    {
        using var fixture = new RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using var proxy = await ProxyInstance.StartAsync(recordings: store);
            var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", "SELECT 'ada' AS name, 36 AS age", "-c", "SELECT 1/0"], proxy.LibpqEnvironment());
            Assert.That(psql.StandardError, Does.Contain("division by zero"));

            await using (var connection = new NpgsqlConnection(proxy.ConnectionString()))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT $1::text || '-suffix' AS joined", connection);
                command.Parameters.AddWithValue("prefix-value");
                Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("prefix-value-suffix"));
            }

            Assert.That(await Poll.UntilAsync(() => Task.FromResult(store.ListSessions().Count(s => s.State == SessionState.Sealed) == 2), TimeSpan.FromSeconds(20)), Is.True);
        }

        var config = Path.Combine(fixture.Root, "hoopproxy.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } },
              "Recording": { "Directory": "{{fixture.Options.Directory}}", "SigningKeyFile": "{{fixture.KeyFile}}" }
            }
            """);
        var hoopproxy = Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");
        var shown = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(fixture.Options.Directory, "*" + RecordingFormat.FileExtension))
        {
            var show = await ExternalProcess.RunAsync("dotnet", [hoopproxy, "sessions", "show", Path.GetFileNameWithoutExtension(file), "--config", config]);
            Assert.That(show.ExitCode, Is.Zero, show.Combined);
            shown.AppendLine(show.StandardOutput);
        }

        var text = shown.ToString();
        Assert.That(text, Does.Contain("SELECT 'ada' AS name, 36 AS age"));
        Assert.That(text, Does.Match(@"name\s*\|\s*age"));
        Assert.That(text, Does.Match(@"ada\s*\|\s*36"));
        Assert.That(text, Does.Contain("ERROR 22012: division by zero"));
        Assert.That(text, Does.Contain("SELECT $1::text || '-suffix' AS joined"), "the extended-protocol statement");
        Assert.That(text, Does.Contain("$1=prefix-value"), "its Bind parameter");
        Assert.That(text, Does.Contain("prefix-value-suffix"), "its result");
        Assert.That(text, Does.Contain("login:").And.Contain("sealed:"));

        var psqlOnly = await ExternalProcess.RunAsync("dotnet", [hoopproxy, "sessions", "list", "--config", config, "--json", "--contains", "36 AS age"]);
        var found = System.Text.Json.JsonDocument.Parse(psqlOnly.StandardOutput).RootElement;
        Assert.That(found.GetArrayLength(), Is.EqualTo(1), "only the psql session has that statement");
        var nobody = await ExternalProcess.RunAsync("dotnet", [hoopproxy, "sessions", "list", "--config", config, "--json", "--identity", "mallory"]);
        Assert.That(System.Text.Json.JsonDocument.Parse(nobody.StandardOutput).RootElement.GetArrayLength(), Is.Zero);

        var npgsqlSession = Directory.EnumerateFiles(fixture.Options.Directory, "*" + RecordingFormat.FileExtension)
            .Select(Path.GetFileNameWithoutExtension).Single(id => id != found[0].GetProperty("Id").GetString());
        var export = await ExternalProcess.RunAsync("dotnet", [hoopproxy, "sessions", "export", npgsqlSession!, "--config", config, "--format", "json"]);
        Assert.That(export.ExitCode, Is.Zero, export.Combined);
        var statement = System.Text.Json.JsonDocument.Parse(export.StandardOutput).RootElement.GetProperty("timeline").EnumerateArray()
            .Single(e => e.GetProperty("type").GetString() == "statement" && e.GetProperty("text").GetString()!.Contains("-suffix", StringComparison.Ordinal));
        Assert.That(statement.GetProperty("parameters")[0].GetString(), Is.EqualTo("prefix-value"));
        Assert.That(statement.GetProperty("results")[0].GetProperty("rows")[0][0].GetString(), Is.EqualTo("prefix-value-suffix"));
    }
}
