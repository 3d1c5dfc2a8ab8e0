using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Policy;
using HoopProxy.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// The issue's rules, as written, through the proxy against a real server with psql and Npgsql: each blocks what it
/// should with 42501 naming the rule, lets the rest through, and the session stays usable in simple and extended protocol.
/// </summary>
public sealed class StatementPolicyTests
{
    /// <summary>The rules exactly as the issue writes them.</summary>
    public const string IssueRules = """
        {
          "Policies": [
            { "Name": "no-drop-database", "Action": "Block", "Match": { "Commands": [ "DROP DATABASE" ] } },
            { "Name": "protect-accounts", "Action": "Block",
              "Match": { "Commands": [ "DELETE", "TRUNCATE" ], "Relations": [ "public.accounts" ] } },
            { "Name": "ddl-needs-approval", "Action": "Review", "Approvers": [ "dba" ], "Timeout": "00:05:00",
              "Match": { "Classes": [ "DDL" ] } }
          ]
        }
        """;

    public static StatementPolicy Load(string json)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        return PolicyConfiguration.FromConfiguration(configuration.GetSection("Policies"));
    }

    private static async Task<ProxyInstance> StartAsync() =>
        await ProxyInstance.StartAsync(policies: new PolicySource(Load(IssueRules)));

    /// <summary>A table named accounts in schema public, with rows, owned by the target's account.</summary>
    private static async Task ResetAccountsAsync()
    {
        await using var direct = new NpgsqlConnection(TestCluster.DirectConnectionString());
        await direct.OpenAsync();
        await using var command = new NpgsqlCommand(
            "DROP TABLE IF EXISTS public.accounts; CREATE TABLE public.accounts (id int PRIMARY KEY, number text); " +
            "INSERT INTO public.accounts VALUES (1, '4111111111111111'), (2, '5500005555555559')", direct);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> AccountCountAsync()
    {
        await using var direct = new NpgsqlConnection(TestCluster.DirectConnectionString());
        await direct.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM public.accounts", direct);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Test]
    public async Task Psql_blocked_statements_get_42501_naming_the_rule_and_the_session_goes_on()
    {
        await ResetAccountsAsync();
        await using var proxy = await StartAsync();
        var psql = await ExternalProcess.RunAsync("psql", ["-X", "-v", "VERBOSITY=verbose",
            "-c", "DELETE FROM accounts WHERE id = 1",
            "-c", "SELECT count(*) AS still_there FROM accounts",
            "-c", "/* harmless? */ TRUNCATE public.\"accounts\"",
            "-c", "SELECT 1 AS one; DROP DATABASE postgres",
            "-c", "UPDATE accounts SET number = number WHERE id = 2",
            "-c", "CREATE TABLE t_needs_review (x int)",
            "-c", "SELECT 'end' AS marker"], proxy.LibpqEnvironment());

        Assert.That(psql.StandardError, Does.Contain("ERROR:  42501: statement blocked by policy rule \"protect-accounts\""));
        Assert.That(psql.StandardError, Does.Contain("statement blocked by policy rule \"no-drop-database\""));
        Assert.That(psql.StandardError, Does.Contain("statement needs approval under policy rule \"ddl-needs-approval\", and no approval broker is running"));
        Assert.That(psql.StandardError, Does.Not.Contain("hoopproxy-blocked"), "the stand-in never shows");
        Assert.That(psql.StandardOutput, Does.Contain("still_there").And.Contain("UPDATE 1").And.Contain("end"));
        Assert.That(psql.StandardOutput, Does.Not.Contain(" one"), "a batch with one blocked statement runs none of it");
        Assert.That(await AccountCountAsync(), Is.EqualTo(2));
    }

    [Test]
    public async Task A_blocked_statement_inside_a_transaction_aborts_it_as_a_server_error_would()
    {
        await ResetAccountsAsync();
        await using var proxy = await StartAsync();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(proxy.ConnectionString()) { IncludeErrorDetail = true }.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE accounts SET number = 'x' WHERE id = 1", connection, transaction))
        {
            Assert.That(await update.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM accounts", connection, transaction))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());
            Assert.That((error!.SqlState, error.MessageText), Is.EqualTo(("42501", "statement blocked by policy rule \"protect-accounts\"")));
            Assert.That(error.Detail, Does.Contain("DELETE on public.accounts"));
        }

        await using (var next = new NpgsqlCommand("SELECT 1", connection, transaction))
        {
            var aborted = await Assert.ThrowsAsync<PostgresException>(() => next.ExecuteScalarAsync());
            Assert.That(aborted!.SqlState, Is.EqualTo("25P02"), "the transaction is aborted");
        }

        await transaction.RollbackAsync();
        await using var after = new NpgsqlCommand("SELECT number FROM accounts WHERE id = 1", connection);
        Assert.That(await after.ExecuteScalarAsync(), Is.EqualTo("4111111111111111"), "the update before the block was rolled back");
    }

    [Test]
    public async Task Npgsql_extended_protocol_blocks_at_parse_discards_the_batch_and_stays_usable()
    {
        await ResetAccountsAsync();
        await using var proxy = await StartAsync();
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();

        await using (var delete = new NpgsqlCommand("DELETE FROM public.accounts WHERE id = $1", connection))
        {
            delete.Parameters.AddWithValue(1);
            var error = await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());
            Assert.That(error!.SqlState, Is.EqualTo("42501"));
            Assert.That(error.MessageText, Does.Contain("protect-accounts"));
        }

        await using (var prepared = new NpgsqlCommand("WITH gone AS (DELETE FROM accounts RETURNING id) SELECT count(*) FROM gone", connection))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => prepared.PrepareAsync());
            Assert.That(error!.SqlState, Is.EqualTo("42501"), "a prepared statement is judged at Parse");
        }

        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT 'first'"),
                new NpgsqlBatchCommand("TRUNCATE accounts"),
                new NpgsqlBatchCommand("INSERT INTO accounts VALUES (3, 'never')"),
            },
        })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());
            Assert.That(error!.SqlState, Is.EqualTo("42501"));
        }

        await using (var select = new NpgsqlCommand("SELECT count(*) FROM accounts WHERE id > $1", connection))
        {
            select.Parameters.AddWithValue(0);
            Assert.That(await select.ExecuteScalarAsync(), Is.EqualTo(2L), "the session works and nothing was deleted or inserted");
        }

        Assert.That(await AccountCountAsync(), Is.EqualTo(2));
    }

    [Test]
    public async Task Sql_prepare_and_execute_are_judged_by_what_they_run()
    {
        await ResetAccountsAsync();
        await using var proxy = await StartAsync();
        var psql = await ExternalProcess.RunAsync("psql", ["-X",
            "-c", "PREPARE wipe AS DELETE FROM accounts",
            "-c", "EXECUTE wipe",
            "-c", "PREPARE look AS SELECT count(*) AS n FROM accounts",
            "-c", "EXECUTE look"], proxy.LibpqEnvironment());
        Assert.That(psql.StandardError, Does.Contain("protect-accounts"));
        // The refused PREPARE defined nothing, so EXECUTE wipe names a statement the proxy never saw prepared:
        // judged as SQL it cannot see, it is refused by the proxy too (rather than left to the server's 26000).
        Assert.That(psql.StandardError.Split("statement blocked by policy rule").Length - 1, Is.EqualTo(2), psql.StandardError);
        Assert.That(psql.StandardOutput, Does.Contain(" n "));
        Assert.That(await AccountCountAsync(), Is.EqualTo(2));
    }

    [Test]
    public async Task Fast_path_function_calls_are_judged_as_calls_the_proxy_cannot_name()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "large object contents");
        try
        {
            await using (var strict = await StartAsync())
            {
                // psql's \lo_import uses libpq's large-object API, i.e. FunctionCall messages naming functions by OID.
                var refused = await ExternalProcess.RunAsync("psql", ["-X", "-c", $"\\lo_import {file}"], strict.LibpqEnvironment());
                Assert.That(refused.StandardError, Does.Contain("42501").Or.Contain("statement blocked by policy rule"), refused.Combined);
                Assert.That(refused.StandardOutput, Does.Not.Contain("lo_import "), "no large object was created");
            }

            const string allowLargeObjects = """
                {
                  "Policies": [
                    { "Name": "large-objects", "Action": "Allow", "Match": { "Commands": [ "FUNCTION CALL" ], "DynamicSql": true } },
                    { "Name": "no-drop-database", "Action": "Block", "Match": { "Commands": [ "DROP DATABASE" ] } }
                  ]
                }
                """;
            await using var lenient = await ProxyInstance.StartAsync(policies: new PolicySource(Load(allowLargeObjects)));
            var imported = await ExternalProcess.RunAsync("psql", ["-X", "-c", $"\\lo_import {file}"], lenient.LibpqEnvironment());
            Assert.That(imported.ExitCode, Is.Zero, imported.Combined);
            Assert.That(imported.StandardOutput, Does.Match(@"lo_import \d+"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task A_statement_prepared_before_a_rule_change_is_judged_again_when_it_is_bound()
    {
        var policies = new PolicySource(Load("""{ "Policies": [ { "Name": "no-drop-database", "Action": "Block", "Match": { "Commands": [ "DROP DATABASE" ] } } ] }"""));
        await using var proxy = await ProxyInstance.StartAsync(policies: policies);
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using var prepared = new NpgsqlCommand("SELECT count(*) FROM pg_class WHERE relname = $1", connection);
        prepared.Parameters.AddWithValue("pg_class");
        await prepared.PrepareAsync();
        Assert.That(await prepared.ExecuteScalarAsync(), Is.EqualTo(1L));

        policies.Replace(Load("""{ "Policies": [ { "Name": "no-catalog", "Action": "Block", "Match": { "Relations": [ "public.pg_class" ] } } ] }"""));
        var error = await Assert.ThrowsAsync<PostgresException>(() => prepared.ExecuteScalarAsync());
        Assert.That((error!.SqlState, error.MessageText), Is.EqualTo(("42501", "statement blocked by policy rule \"no-catalog\"")));

        await using var other = new NpgsqlCommand("SELECT 7", connection);
        Assert.That(await other.ExecuteScalarAsync(), Is.EqualTo(7), "the session goes on");
    }

    [Test]
    public async Task A_session_whose_text_the_server_would_read_differently_is_refused_its_statements()
    {
        await using var proxy = await StartAsync();
        var environment = proxy.LibpqEnvironment();
        environment["PGCLIENTENCODING"] = "LATIN1";
        var latin1 = await ExternalProcess.RunAsync("psql", ["-X", "-c", "SELECT 1 AS one"], environment);
        Assert.That(latin1.StandardError, Does.Contain("client_encoding is LATIN1"), latin1.Combined);
        Assert.That(latin1.StandardOutput, Does.Not.Contain("one"));

        var switching = await ExternalProcess.RunAsync("psql", ["-X",
            "-c", "SET standard_conforming_strings = off",
            "-c", "SELECT 'still utf8 and conforming' AS fine"], proxy.LibpqEnvironment());
        Assert.That(switching.StandardError, Does.Contain("standard_conforming_strings must stay on"));
        Assert.That(switching.StandardOutput, Does.Contain("still utf8 and conforming"), "the refused SET changed nothing");
    }

    [Test]
    public async Task An_execute_of_a_name_the_proxy_never_saw_prepared_is_judged_as_sql_it_cannot_see()
    {
        await using var proxy = await StartAsync();
        var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", "EXECUTE never_prepared"], proxy.LibpqEnvironment());
        Assert.That(psql.StandardError, Does.Contain("statement blocked by policy rule"), psql.Combined);
    }

    [Test]
    public async Task A_bind_larger_than_the_proxy_inspects_passes_its_statement_was_judged_at_parse()
    {
        var bigValue = new byte[2 * 1024 * 1024];
        Random.Shared.NextBytes(bigValue);
        foreach (var policies in new[] { new PolicySource(StatementPolicy.Empty), new PolicySource(Load(IssueRules)) })
        {
            await using var proxy = await ProxyInstance.StartAsync(policies: policies);
            await using var connection = new NpgsqlConnection(proxy.ConnectionString());
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT length($1)", connection);
            command.Parameters.AddWithValue(bigValue);
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(bigValue.Length), $"{policies.Current.Rules.Count} rules");
        }
    }
}
