using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;
using NUnit.Framework;
using static HoopProxy.Tests.Integration.Masking.MaskingFixture;

namespace HoopProxy.Tests.Integration.Masking;

/// <summary>COPY … TO STDOUT in text, CSV and binary, masked row by row through the proxy.</summary>
[TestFixture]
public sealed class CopyMaskingTests
{
    [SetUp]
    public Task SetUpAsync() => ResetAsync();

    private static async Task<string> PsqlAsync(ProxyInstance proxy, string sql, string user = ProxyInstance.UserName, string password = ProxyInstance.UserPassword)
    {
        var psql = await ExternalProcess.RunAsync("psql", ["-X", "-v", "ON_ERROR_STOP=1", "-c", sql], proxy.LibpqEnvironment(user, password));
        Assert.That(psql.ExitCode, Is.Zero, psql.StandardError);
        return psql.StandardOutput;
    }

    [Test]
    public async Task Psql_copy_text_format_masks_columns_and_detected_values()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        var output = await PsqlAsync(proxy, "COPY (SELECT id, ssn, email, notes FROM customers ORDER BY id) TO STDOUT");
        Assert.That(output, Is.EqualTo(
            "1\t***-**-8726\t[REDACTED:email]\tcalled from [REDACTED:phone] about card [REDACTED:payment-card]\n"
            + "2\t***-**-4421\t[REDACTED:email]\tno issues\n"));
    }

    [Test]
    public async Task Psql_copy_of_a_table_with_a_column_list_knows_the_columns_by_name()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        var output = await PsqlAsync(proxy, "COPY public.accounts (number, id) TO STDOUT WITH (DELIMITER '|')");
        Assert.That(output, Is.EqualTo("******3210|10\n****-**21-00|11\n"));
    }

    [Test]
    public async Task Psql_copy_csv_with_header_masks_quoted_and_unquoted_fields()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        var output = await PsqlAsync(proxy, "COPY (SELECT c.ssn AS x, c.profile FROM customers c ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)");
        Assert.That(output, Is.EqualTo(
            "x,profile\n"
            + "***-**-8726,\"{\"\"ssn\"\": \"\"[REDACTED:us-ssn]\"\", \"\"city\"\": \"\"Berlin\"\", \"\"iban\"\": \"\"[REDACTED:iban]\"\"}\"\n"
            + "***-**-4421,\"{\"\"city\"\": \"\"Oslo\"\"}\"\n"));
    }

    [Test]
    public async Task Npgsql_binary_copy_stays_readable_with_masked_values()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        var rows = new List<(int Id, string Ssn, string Notes, decimal? Balance)>();
        await using (var export = await connection.BeginBinaryExportAsync(
            "COPY (SELECT c.id, c.ssn, c.notes, a.balance FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id) TO STDOUT (FORMAT binary)"))
        {
            while (await export.StartRowAsync() != -1)
            {
                rows.Add((await export.ReadAsync<int>(NpgsqlDbType.Integer), await export.ReadAsync<string>(NpgsqlDbType.Text),
                    await export.ReadAsync<string>(NpgsqlDbType.Text), await export.ReadAsync<decimal>(NpgsqlDbType.Numeric)));
            }
        }

        Assert.That(rows, Is.EqualTo(new[]
        {
            (1, "***-**-8726", "called from [REDACTED:phone] about card [REDACTED:payment-card]", (decimal?)1250.50m),
            (2, "***-**-4421", "no issues", (decimal?)10m),
        }));
        await using var after = new NpgsqlCommand("SELECT count(*) FROM customers", connection);
        Assert.That(await after.ExecuteScalarAsync(), Is.EqualTo(2L), "the session goes on after the COPY");
    }

    [Test]
    public async Task Detector_only_sessions_mask_copy_without_the_catalog()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        var output = await PsqlAsync(proxy, "COPY (SELECT ssn, number FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id) TO STDOUT WITH (FORMAT csv)",
            "bob", "bob-pw");
        Assert.That(output, Is.EqualTo($"[REDACTED:us-ssn],{AccountNumber}\n[REDACTED:us-ssn],8765-4321-00\n"));
    }
}
