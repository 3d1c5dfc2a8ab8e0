using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;
using static HoopProxy.Tests.Integration.Masking.MaskingFixture;

namespace HoopProxy.Tests.Integration.Masking;

/// <summary>Result rows masked by the issue's rules, through the proxy against the real server, with psql (text) and Npgsql (binary).</summary>
[TestFixture]
public sealed class ResultMaskingTests
{
    [SetUp]
    public Task SetUpAsync() => ResetAsync();

    private static Task<ProxyInstance> StartAsync(string rules = IssueRules) => ProxyInstance.StartAsync(masking: Load(rules));

    private static async Task<string> PsqlAsync(ProxyInstance proxy, string sql, string user = ProxyInstance.UserName, string password = ProxyInstance.UserPassword)
    {
        var psql = await ExternalProcess.RunAsync("psql", ["-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql], proxy.LibpqEnvironment(user, password));
        Assert.That(psql.ExitCode, Is.Zero, psql.StandardError);
        return psql.StandardOutput.Trim();
    }

    [Test]
    public async Task Psql_column_rule_follows_the_source_through_an_alias_and_a_join()
    {
        await using var proxy = await StartAsync();
        var output = await PsqlAsync(proxy, "SELECT c.ssn AS x, a.number AS n, a.balance FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id");
        Assert.That(output, Is.EqualTo("***-**-8726|******3210|1250.50\n***-**-4421|****-**21-00|10"));
    }

    [Test]
    public async Task Psql_select_star_masks_columns_and_detects_in_free_text_json_and_arrays()
    {
        await using var proxy = await StartAsync();
        var output = await PsqlAsync(proxy, "SELECT * FROM customers WHERE id = 1");
        Assert.That(output, Is.EqualTo(
            "1|Ann Lee|***-**-8726|[REDACTED:email]|called from [REDACTED:phone] about card [REDACTED:payment-card]|"
            + "{\"ssn\": \"[REDACTED:us-ssn]\", \"city\": \"Berlin\", \"iban\": \"[REDACTED:iban]\"}|{\"[REDACTED:phone]\",\"[REDACTED:phone]\"}"));
    }

    [Test]
    public async Task Psql_view_columns_are_masked_by_the_base_column_rule()
    {
        await using var proxy = await StartAsync();
        var output = await PsqlAsync(proxy, "SELECT tax_id, shout FROM customer_contacts ORDER BY id");
        Assert.That(output, Is.EqualTo("***-**-8726|ANN LEE\n***-**-4421|BO RAY"));
    }

    [Test]
    public async Task Psql_another_group_gets_only_the_detectors()
    {
        await using var proxy = await StartAsync();
        var output = await PsqlAsync(proxy, "SELECT ssn, number FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id", "bob", "bob-pw");
        Assert.That(output, Is.EqualTo($"[REDACTED:us-ssn]|{AccountNumber}\n[REDACTED:us-ssn]|8765-4321-00"),
            "bob is not an analyst: the account numbers are not his column rule's, and no detector recognises them");
    }

    [Test]
    public async Task Npgsql_binary_results_are_masked_and_stay_valid_for_their_types()
    {
        await using var proxy = await StartAsync();
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT c.ssn AS x, c.email, c.notes, c.profile, c.phones, a.number, a.balance FROM customers c JOIN accounts a ON a.customer_id = c.id WHERE c.id = $1",
            connection);
        command.Parameters.AddWithValue(1);
        await command.PrepareAsync();
        for (var run = 0; run < 2; run++)
        {
            // The second run executes the prepared statement: Bind with binary result formats, no fresh RowDescription.
            await using var reader = await command.ExecuteReaderAsync();
            Assert.That(await reader.ReadAsync(), Is.True);
            Assert.That(reader.GetString(0), Is.EqualTo("***-**-8726"));
            Assert.That(reader.GetString(1), Is.EqualTo("[REDACTED:email]"));
            Assert.That(reader.GetString(2), Is.EqualTo("called from [REDACTED:phone] about card [REDACTED:payment-card]"));
            var profile = System.Text.Json.JsonDocument.Parse(reader.GetString(3)).RootElement;
            Assert.That(profile.GetProperty("ssn").GetString(), Is.EqualTo("[REDACTED:us-ssn]"));
            Assert.That(profile.GetProperty("iban").GetString(), Is.EqualTo("[REDACTED:iban]"));
            Assert.That(reader.GetFieldValue<string[]>(4), Is.EqualTo(new[] { "[REDACTED:phone]", "[REDACTED:phone]" }));
            Assert.That(reader.GetString(5), Is.EqualTo("******3210"));
            Assert.That(reader.GetDecimal(6), Is.EqualTo(1250.50m));
        }
    }

    [Test]
    public async Task The_outcome_event_counts_masked_values_per_column_and_detector_and_the_recording_holds_only_masked_bytes()
    {
        using var fixture = new HoopProxy.Tests.Unit.Recording.RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using (var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules), recordings: store))
            {
                await PsqlAsync(proxy, "SELECT ssn, notes FROM customers ORDER BY id");
                Assert.That(await Poll.UntilAsync(() => Task.FromResult(store.ListSessions().Any(s => s.State == HoopProxy.Core.Recording.SessionState.Sealed)),
                    TimeSpan.FromSeconds(20)), Is.True);
            }

            var session = store.ListSessions().Single();
            var records = store.OpenSession(session.SessionId).ReadRecords().ToList();
            var outcome = records.Single(r => r.EventType == "outcome");
            var masked = outcome.Fields!["masked"]!;
            Assert.That(masked["columns"]!.ToJsonString(), Is.EqualTo("{\"public.customers.ssn\":2,\"public.customers.notes\":1}"));
            Assert.That(masked["detectors"]!.ToJsonString(), Is.EqualTo("{\"payment-card\":1,\"phone\":1}"));
            var received = string.Concat(records.Where(r => r.Type == HoopProxy.Core.Recording.RecordType.Data && r.Direction == HoopProxy.Core.Recording.RecordDirection.ServerToClient)
                .Select(r => System.Text.Encoding.UTF8.GetString(r.Data.Span)));
            Assert.That(received, Does.Contain("***-**-8726"));
            foreach (var value in SensitiveValues)
            {
                Assert.That(received, Does.Not.Contain(value));
            }
        }
    }
}

/// <summary>Where masking cannot see a value whole, and where the catalog must be read again.</summary>
[TestFixture]
public sealed class MaskingLimitTests
{
    [SetUp]
    public Task SetUpAsync() => ResetAsync();

    [Test]
    public async Task A_row_too_large_to_inspect_that_needs_masking_ends_the_statement_with_an_error_and_the_session_goes_on()
    {
        await using var proxy = await ProxyInstance.StartAsync(
            o => o with { Limits = o.Limits with { Pipes = new HoopProxy.Core.Networking.PipeSettings { PauseThreshold = 64 * 1024, ResumeThreshold = 32 * 1024 } } },
            masking: Load(IssueRules));
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using (var large = new NpgsqlCommand("SELECT id, repeat('x', 200000) || ssn AS big FROM customers ORDER BY id", connection))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await using var reader = await large.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    Assert.That(reader.GetString(1), Does.Not.Contain(Ssn));
                }
            });
            Assert.That(error!.SqlState, Is.EqualTo("54000"));
            Assert.That(error.MessageText, Does.Contain("larger than the proxy can mask"));
        }

        await using var small = new NpgsqlCommand("SELECT ssn FROM customers WHERE id = 1", connection);
        Assert.That(await small.ExecuteScalarAsync(), Is.EqualTo("***-**-8726"), "the session goes on");

        await using var unmasked = new NpgsqlCommand("SELECT 1 AS n, convert_to(repeat('y', 200000), 'UTF8') AS plain", connection);
        await using var plainReader = await unmasked.ExecuteReaderAsync();
        Assert.That(await plainReader.ReadAsync(), Is.True);
        Assert.That(plainReader.GetFieldValue<byte[]>(1), Has.Length.EqualTo(200000),
            "a large row with no column masking applies to (bytea is not scanned) still streams through");
    }

    [Test]
    public async Task Ddl_through_the_proxy_refreshes_the_column_names_even_from_a_session_without_masking()
    {
        const string analystsOnly = """
            { "Masking": [ { "Name": "pii-columns", "Match": { "Groups": [ "analysts" ] }, "Columns": [ "public.customers.ssn" ],
                             "Operator": "Partial", "Keep": 4 } ] }
            """;
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(analystsOnly));
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using (var before = new NpgsqlCommand("SELECT name FROM customers WHERE id = 1", connection))
        {
            Assert.That(await before.ExecuteScalarAsync(), Is.EqualTo("Ann Lee"));
        }

        // bob (engineers) has no masking rule: his session masks nothing, but his DDL still refreshes the catalog.
        await using (var dba = new NpgsqlConnection(proxy.ConnectionString("bob", "bob-pw")))
        {
            await dba.OpenAsync();
            await using var rename = new NpgsqlCommand(
                "ALTER TABLE customers RENAME COLUMN ssn TO ssn_old; ALTER TABLE customers RENAME COLUMN name TO ssn", dba);
            await rename.ExecuteNonQueryAsync();
        }

        await using var after = new NpgsqlCommand("SELECT ssn FROM customers WHERE id = 1", connection);
        Assert.That(await after.ExecuteScalarAsync(), Is.EqualTo("**n Lee"), "the column now called ssn is masked by the rule for public.customers.ssn");
    }
}
