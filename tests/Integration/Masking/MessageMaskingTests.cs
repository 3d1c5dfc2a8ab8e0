using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;
using static HoopProxy.Tests.Integration.Masking.MaskingFixture;

namespace HoopProxy.Tests.Integration.Masking;

/// <summary>What leaves the server outside result rows: errors, notices, notifications, function results; and Hash pseudonyms.</summary>
[TestFixture]
public sealed class MessageMaskingTests
{
    [SetUp]
    public Task SetUpAsync() => ResetAsync();

    [Test]
    public async Task A_unique_violation_on_a_masked_column_does_not_show_the_duplicate_key()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        var builder = new NpgsqlConnectionStringBuilder(proxy.ConnectionString()) { IncludeErrorDetail = true };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand($"INSERT INTO customers (id, ssn) VALUES (3, '{Ssn}')", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.That(error!.SqlState, Is.EqualTo("23505"));
        Assert.That(error.Detail, Is.EqualTo("Key (ssn)=(***-**-8726) already exists."), "alice's column rule applies to the key's value");

        await using var scalar = new NpgsqlCommand("SELECT 1", connection);
        Assert.That(await scalar.ExecuteScalarAsync(), Is.EqualTo(1), "the session goes on");
    }

    [Test]
    public async Task Psql_errors_and_notices_with_values_are_masked_by_the_detectors()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        var psql = await ExternalProcess.RunAsync("psql", ["-X", "-v", "VERBOSITY=verbose",
            "-c", "DO $$ BEGIN RAISE NOTICE 'customer ssn is %', (SELECT ssn FROM customers WHERE id = 1); END $$",
            "-c", "SELECT email::int FROM customers WHERE id = 1",
            "-c", "INSERT INTO customers (id, ssn) SELECT 4, ssn FROM customers WHERE id = 2"], proxy.LibpqEnvironment("bob", "bob-pw"));

        Assert.That(psql.StandardError, Does.Contain("NOTICE:  00000: customer ssn is [REDACTED:us-ssn]"));
        Assert.That(psql.StandardError, Does.Contain("invalid input syntax for type integer: \"[REDACTED:email]\""));
        Assert.That(psql.StandardError, Does.Contain("DETAIL:  Key (ssn)=([REDACTED:us-ssn]) already exists."));
        foreach (var value in SensitiveValues)
        {
            Assert.That(psql.Combined, Does.Not.Contain(value));
        }
    }

    [Test]
    public async Task A_notification_payload_with_a_card_number_is_masked()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        await using var connection = new NpgsqlConnection(proxy.ConnectionString("bob", "bob-pw"));
        await connection.OpenAsync();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Notification += (_, e) => received.TrySetResult(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN cards; NOTIFY cards, 'charged {CardDigits} today'", connection))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await connection.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(await received.Task.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo("charged [REDACTED:payment-card] today"));
    }

    [Test]
    public async Task Hash_pseudonyms_are_stable_across_sessions_and_keep_joins_working()
    {
        const string rules = """
            { "Masking": [ { "Name": "pseudonyms", "Columns": [ "public.customers.ssn", "public.customers.email" ],
                             "Operator": "Hash", "HashKey": "a-test-key-of-32-bytes-or-more!!" } ] }
            """;
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(rules));
        var seen = new List<string>();
        for (var session = 0; session < 2; session++)
        {
            await using var connection = new NpgsqlConnection(proxy.ConnectionString());
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT ssn FROM customers ORDER BY id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                seen.Add(reader.GetString(0));
            }
        }

        Assert.That(seen, Has.Count.EqualTo(4));
        Assert.That(seen[0], Does.Match("^h:[0-9a-f]{16}$"));
        Assert.That(seen[0], Is.Not.EqualTo(seen[1]), "different values, different pseudonyms");
        var firstSession = seen[..2];
        var secondSession = seen[2..];
        Assert.That(secondSession, Is.EqualTo(firstSession), "the same value gets the same pseudonym in another session");

        var psql = await ExternalProcess.RunAsync("psql", ["-X", "-A", "-t", "-c", "SELECT ssn FROM customers ORDER BY id"], proxy.LibpqEnvironment());
        Assert.That(psql.StandardOutput.Trim().Split('\n'), Is.EqualTo(firstSession), "text and binary formats give the same pseudonym");
    }

    [Test]
    public async Task Custom_detectors_from_configuration_mask_a_pattern_and_a_word_list()
    {
        const string rules = """
            {
              "MaskingDetectors": [
                { "Name": "employee-id", "Pattern": "\\bEMP-[0-9]{6}\\b" },
                { "Name": "code-names", "Words": [ "falcon", "osprey" ] }
              ],
              "Masking": [ { "Name": "internal", "Detectors": [ "employee-id", "code-names" ], "Operator": "Redact" } ]
            }
            """;
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(rules));
        var psql = await ExternalProcess.RunAsync("psql", ["-X", "-A", "-t", "-c",
            "SELECT 'badge ' || 'EMP-' || '123456' || ', project ' || upper('falcon') || ', EMP-1234567 stays'"], proxy.LibpqEnvironment());
        Assert.That(psql.StandardOutput.Trim(), Is.EqualTo("badge [REDACTED:employee-id], project [REDACTED:code-names], EMP-1234567 stays"));
    }
}
