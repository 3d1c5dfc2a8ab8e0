using System.Text;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// Every statement a client runs is a "statement" event in the recording, right after the bytes that carried it,
/// and its answer an "outcome" event paired by sequence number — for psql's simple protocol and Npgsql's extended one.
/// </summary>
public sealed class StatementEventTests
{
    private static async Task<List<SessionRecord>> RecordSessionAsync(RecordingFixture fixture, Func<ProxyInstance, Task> client)
    {
        await using var store = await fixture.OpenAsync();
        await using (var proxy = await ProxyInstance.StartAsync(recordings: store))
        {
            await client(proxy);
            Assert.That(await Poll.UntilAsync(() => Task.FromResult(store.ListSessions().Any(s => s.State == SessionState.Sealed)), TimeSpan.FromSeconds(20)), Is.True);
        }

        var session = store.ListSessions().Single();
        return store.OpenSession(session.SessionId).ReadRecords().ToList();
    }

    private static List<SessionRecord> Events(List<SessionRecord> records, string type) => records.Where(r => r.EventType == type).ToList();

    private static string Field(SessionRecord record, string name) => record.Fields![name]!.ToString();

    private static SessionRecord OutcomeOf(List<SessionRecord> records, SessionRecord statement) =>
        Events(records, "outcome").Single(o => o.Fields!["seq"]?.GetValue<long>() == statement.Fields!["seq"]!.GetValue<long>());

    /// <summary>The client bytes recorded before <paramref name="record"/>.</summary>
    private static string ClientBytesBefore(List<SessionRecord> records, SessionRecord record) =>
        string.Concat(records.TakeWhile(r => !ReferenceEquals(r, record))
            .Where(r => r.Type == RecordType.Data && r.Direction == RecordDirection.ClientToServer)
            .Select(r => Encoding.UTF8.GetString(r.Data.Span)));

    [Test]
    public async Task Psql_statements_are_events_placed_after_their_bytes_with_their_outcomes()
    {
        using var fixture = new RecordingFixture();
        var records = await RecordSessionAsync(fixture, async proxy =>
        {
            var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", "SELECT 'first' AS marker", "-c", "SELECT 1/0", "-c", "SELECT 'third'"], proxy.LibpqEnvironment());
            Assert.That(psql.StandardError, Does.Contain("division by zero"));
        });

        var statements = Events(records, "statement");
        Assert.That(statements.Select(s => Field(s, "text")), Is.EqualTo(new[] { "SELECT 'first' AS marker", "SELECT 1/0", "SELECT 'third'" }));
        Assert.That(statements.Select(s => Field(s, "protocol")), Is.All.EqualTo("simple"));
        Assert.That(statements.Select(s => s.Fields!["seq"]!.GetValue<long>()), Is.Ordered.Ascending);

        var first = OutcomeOf(records, statements[0]);
        Assert.That((Field(first, "status"), Field(first, "command"), first.Fields!["rows"]!.GetValue<long>()), Is.EqualTo(("ok", "SELECT 1", 1L)));
        var failed = OutcomeOf(records, statements[1]);
        Assert.That((Field(failed, "status"), Field(failed, "sqlstate"), Field(failed, "message")), Is.EqualTo(("error", "22012", "division by zero")));

        // Exact order against the bytes: the statement follows its Query, the outcome follows the row it answers.
        Assert.That(ClientBytesBefore(records, statements[0]), Does.EndWith("SELECT 'first' AS marker\0"));
        var serverBytesBeforeOutcome = string.Concat(records.TakeWhile(r => !ReferenceEquals(r, first))
            .Where(r => r.Type == RecordType.Data && r.Direction == RecordDirection.ServerToClient).Select(r => Encoding.UTF8.GetString(r.Data.Span)));
        Assert.That(serverBytesBeforeOutcome, Does.Contain("first").And.EndWith("SELECT 1\0"));
        Assert.That(records.IndexOf(first), Is.LessThan(records.IndexOf(statements[1])));
    }

    [Test]
    public async Task Npgsql_extended_protocol_statements_carry_their_parameters_and_a_failed_batch_marks_what_never_ran()
    {
        using var fixture = new RecordingFixture();
        var records = await RecordSessionAsync(fixture, async proxy =>
        {
            await using var connection = new NpgsqlConnection(proxy.ConnectionString());
            await connection.OpenAsync();
            await using (var command = new NpgsqlCommand("SELECT $1::int + $2::int AS total", connection))
            {
                command.Parameters.AddWithValue(40);
                command.Parameters.AddWithValue(2);
                Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(42));
            }

            await using (var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SELECT 'before'"),
                    new NpgsqlBatchCommand("SELECT 1/0"),
                    new NpgsqlBatchCommand("SELECT 'after'"),
                },
            })
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());
                Assert.That(error!.SqlState, Is.EqualTo("22012"));
            }

            await using (var command = new NpgsqlCommand("SELECT 'still usable'", connection))
            {
                Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("still usable"));
            }
        });

        var statements = Events(records, "statement").Where(s => Field(s, "protocol") == "extended").ToList();
        var sum = statements.Single(s => Field(s, "text") == "SELECT $1::int + $2::int AS total");
        // Npgsql sends int4 parameters in binary: big-endian 40 and 2.
        Assert.That(sum.Fields!["parameters"]!.AsArray().Select(p => p!.GetValue<string>()), Is.EqualTo(new[] { "\\x00000028", "\\x00000002" }));
        Assert.That(Field(OutcomeOf(records, sum), "command"), Is.EqualTo("SELECT 1"));

        Assert.That(Field(OutcomeOf(records, statements.Single(s => Field(s, "text") == "SELECT 'before'")), "status"), Is.EqualTo("ok"));
        Assert.That(Field(OutcomeOf(records, statements.Single(s => Field(s, "text") == "SELECT 1/0")), "sqlstate"), Is.EqualTo("22012"));
        Assert.That(Field(OutcomeOf(records, statements.Single(s => Field(s, "text") == "SELECT 'after'")), "status"), Is.EqualTo("not-run"));
        Assert.That(Field(OutcomeOf(records, statements.Single(s => Field(s, "text") == "SELECT 'still usable'")), "status"), Is.EqualTo("ok"));
        Assert.That(Events(records, "outcome").Select(o => o.Fields!["seq"]?.GetValue<long>()), Is.Unique, "each statement is answered once");
    }

    [Test]
    public async Task A_cancel_from_the_client_is_an_event_of_the_session_it_cancelled()
    {
        using var fixture = new RecordingFixture();
        var records = await RecordSessionAsync(fixture, async proxy =>
        {
            await using var connection = new NpgsqlConnection(proxy.ConnectionString());
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT pg_sleep(30)", connection);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var error = await Assert.ThrowsAsync<OperationCanceledException>(() => command.ExecuteNonQueryAsync(cancel.Token));
            Assert.That(error!.InnerException, Is.TypeOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo("57014"));
        });

        var cancelEvent = Events(records, "cancel").Single();
        Assert.That(Field(cancelEvent, "status"), Is.EqualTo("requested"));
        Assert.That(Field(cancelEvent, "from"), Does.StartWith("127.0.0.1:"));
        var sleep = Events(records, "statement").Single(s => Field(s, "text") == "SELECT pg_sleep(30)");
        var outcome = OutcomeOf(records, sleep);
        Assert.That((Field(outcome, "status"), Field(outcome, "sqlstate")), Is.EqualTo(("error", "57014")));
        Assert.That(records.IndexOf(sleep), Is.LessThan(records.IndexOf(cancelEvent)));
        Assert.That(records.IndexOf(cancelEvent), Is.LessThan(records.IndexOf(outcome)));
    }

    [Test]
    public async Task A_multi_statement_query_is_one_classified_event_per_statement_and_an_error_marks_the_rest_not_run()
    {
        using var fixture = new RecordingFixture();
        const string script = "CREATE TEMP TABLE audit_probe (x int); INSERT INTO audit_probe VALUES (7); "
            + "SELECT x FROM audit_probe /* comment */; SELECT 1/0; DELETE FROM audit_probe";
        var records = await RecordSessionAsync(fixture, async proxy =>
        {
            var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", script], proxy.LibpqEnvironment());
            Assert.That(psql.StandardError, Does.Contain("division by zero"));
        });

        var statements = Events(records, "statement");
        Assert.That(statements.Select(s => (Field(s, "class"), Field(s, "command"))), Is.EqualTo(new[]
        {
            ("DDL", "CREATE TABLE"), ("WRITE", "INSERT"), ("READ", "SELECT"), ("READ", "SELECT"), ("WRITE", "DELETE"),
        }));
        Assert.That(Field(statements[2], "text"), Is.EqualTo("SELECT x FROM audit_probe /* comment */"));
        Assert.That(statements[1].Fields!["writes"]!.AsArray().Select(n => n!.ToString()), Is.EqualTo(new[] { "public.audit_probe" }));
        Assert.That(statements[2].Fields!["reads"]!.AsArray().Select(n => n!.ToString()), Is.EqualTo(new[] { "public.audit_probe" }));

        Assert.That(statements.Select(s => Field(OutcomeOf(records, s), "status")), Is.EqualTo(new[] { "ok", "ok", "ok", "error", "not-run" }));
        Assert.That(Field(OutcomeOf(records, statements[1]), "command"), Is.EqualTo("INSERT 0 1"));
        Assert.That(Field(OutcomeOf(records, statements[3]), "sqlstate"), Is.EqualTo("22012"));
    }

    [Test]
    public async Task Text_the_parser_cannot_read_is_recorded_with_the_parse_error_and_the_servers_answer()
    {
        using var fixture = new RecordingFixture();
        var records = await RecordSessionAsync(fixture, async proxy =>
        {
            var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", "SELEC 1"], proxy.LibpqEnvironment());
            Assert.That(psql.StandardError, Does.Contain("syntax error"));
        });

        var statement = Events(records, "statement").Single();
        Assert.That(Field(statement, "text"), Is.EqualTo("SELEC 1"));
        Assert.That(Field(statement, "parse_error"), Does.Contain("syntax error"));
        Assert.That(Field(OutcomeOf(records, statement), "sqlstate"), Is.EqualTo("42601"));
    }

    [Test]
    public async Task Show_prints_each_statements_classification_and_colours_only_when_asked_or_on_a_terminal()
    {
        using var fixture = new RecordingFixture();
        await RecordSessionAsync(fixture, async proxy =>
        {
            var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", "CREATE TEMP TABLE shown (x int); INSERT INTO shown VALUES (1)"], proxy.LibpqEnvironment());
            Assert.That(psql.ExitCode, Is.Zero, psql.Combined);
        });

        var config = Path.Combine(fixture.Root, "hoopproxy.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } },
              "Recording": { "Directory": "{{fixture.Options.Directory}}", "SigningKeyFile": "{{fixture.KeyFile}}" }
            }
            """);
        var id = Path.GetFileNameWithoutExtension(Directory.EnumerateFiles(fixture.Options.Directory, "*" + RecordingFormat.FileExtension).Single());
        var plain = await ExternalProcess.RunAsync("dotnet", [ServeProcess.HoopproxyDll, "sessions", "show", id, "--config", config]);
        Assert.That(plain.ExitCode, Is.Zero, plain.Combined);
        Assert.That(plain.StandardOutput, Does.Contain("DDL CREATE TABLE · writes pg_temp.shown"));
        Assert.That(plain.StandardOutput, Does.Contain("WRITE INSERT · writes public.shown"));
        Assert.That(plain.StandardOutput, Does.Not.Contain("\e["), "no colour codes into a pipe");

        var coloured = await ExternalProcess.RunAsync("dotnet", [ServeProcess.HoopproxyDll, "sessions", "show", id, "--config", config, "--color", "always"]);
        Assert.That(coloured.StandardOutput, Does.Contain("\e[36mCREATE TEMP TABLE shown"));

        var listed = await ExternalProcess.RunAsync("dotnet", [ServeProcess.HoopproxyDll, "sessions", "list", "--config", config, "--protocol", "ssh", "--json"]);
        Assert.That(System.Text.Json.JsonDocument.Parse(listed.StandardOutput).RootElement.GetArrayLength(), Is.Zero, "no ssh sessions");
        var all = await ExternalProcess.RunAsync("dotnet", [ServeProcess.HoopproxyDll, "sessions", "verify", "--all", "--config", config]);
        Assert.That(all.ExitCode, Is.Zero, all.Combined);
    }
}
