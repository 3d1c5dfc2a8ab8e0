using System.Text.RegularExpressions;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// pgbench through the proxy: initialization (COPY, DDL), the built-in scripts in every query mode with
/// several clients, and pipeline mode with a failing statement compared against a direct connection.
/// </summary>
public sealed partial class PgbenchTests
{
    private const int Clients = 4;
    private const int TransactionsPerClient = 50;
    private ProxyInstance _proxy = null!;
    private string _workDirectory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _proxy = await ProxyInstance.StartAsync();
        _workDirectory = Directory.CreateTempSubdirectory("hoopproxy-pgbench-").FullName;
        // As proxy user alice; the tables end up owned by app, which owns the bank database.
        var init = await PgbenchAsync(_proxy.LibpqEnvironment(), "-i", "-s", "1", "-q");
        Assert.That(init.ExitCode, Is.Zero, init.Combined);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _proxy.DisposeAsync();
        Directory.Delete(_workDirectory, recursive: true);
    }

    private static Task<ExternalProcess.Result> PgbenchAsync(IDictionary<string, string> environment, params string[] arguments) =>
        ExternalProcess.RunAsync("pgbench", arguments, environment, timeout: TimeSpan.FromSeconds(90));

    [Test]
    public async Task Initialization_through_the_proxy_creates_the_tables_as_the_target_user()
    {
        var result = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c",
            "SELECT (SELECT count(*) FROM pgbench_accounts) || '|' || (SELECT count(*) FROM pgbench_branches) || '|' || tableowner FROM pg_tables WHERE tablename = 'pgbench_accounts'"],
            _proxy.LibpqEnvironment());
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput.Trim(), Is.EqualTo("100000|1|app"));
    }

    [TestCase("simple", true)]
    [TestCase("extended", true)]
    [TestCase("prepared", true)]
    [TestCase("simple", false)]
    [TestCase("extended", false)]
    [TestCase("prepared", false)]
    public async Task Builtin_script_runs_without_failures(string queryMode, bool selectOnly)
    {
        string[] arguments = ["-M", queryMode, "-c", Clients.ToString(System.Globalization.CultureInfo.InvariantCulture), "-j", "2",
            "-t", TransactionsPerClient.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n"];
        var result = await PgbenchAsync(_proxy.LibpqEnvironment(), selectOnly ? [.. arguments, "-S"] : arguments);

        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(Summary(result.StandardOutput, "number of failed transactions"), Does.StartWith("0 "), result.StandardOutput);
        Assert.That(Summary(result.StandardOutput, "number of transactions actually processed"),
            Is.EqualTo($"{Clients * TransactionsPerClient}/{Clients * TransactionsPerClient}"), result.StandardOutput);
        Assert.That(Summary(result.StandardOutput, "query mode"), Is.EqualTo(queryMode));
    }

    [Test]
    public async Task Pipeline_script_runs_without_failures()
    {
        var script = await WriteScriptAsync("""
            \set aid random(1, 100000)
            \startpipeline
            SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
            SELECT 1;
            SELECT count(*) FROM pgbench_branches;
            \endpipeline
            """);
        var result = await PgbenchAsync(_proxy.LibpqEnvironment(), "-M", "extended", "-c", "2", "-j", "2", "-t", "25", "-n", "-f", script);
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(Summary(result.StandardOutput, "number of failed transactions"), Does.StartWith("0 "), result.StandardOutput);
        Assert.That(Summary(result.StandardOutput, "number of transactions actually processed"), Is.EqualTo("50/50"), result.StandardOutput);
    }

    [TestCase("division_by_zero", "extended")]
    [TestCase("division_by_zero", "prepared")]
    [TestCase("unique_violation", "extended")]
    public async Task Failure_inside_a_pipeline_is_reported_as_on_a_direct_connection(string failure, string queryMode)
    {
        var table = $"pgb_pipe_{Guid.NewGuid():N}"[..24];
        var setup = await ExternalProcess.RunAsync("psql", ["-X", "-v", "ON_ERROR_STOP=1", "-c", $"CREATE TABLE {table} (id int PRIMARY KEY); INSERT INTO {table} VALUES (1)"],
            _proxy.LibpqEnvironment());
        Assert.That(setup.ExitCode, Is.Zero, setup.Combined);
        try
        {
            var failing = failure == "division_by_zero" ? "SELECT 1/0;" : $"INSERT INTO {table} VALUES (1);";
            var script = await WriteScriptAsync($"""
                \startpipeline
                SELECT 1;
                INSERT INTO {table} VALUES (2) ON CONFLICT DO NOTHING;
                {failing}
                SELECT 3;
                \endpipeline
                """);
            string[] arguments = ["-M", queryMode, "-c", "1", "-t", "1", "-n", "-f", script];

            var direct = await PgbenchAsync(ClusterProbe.DirectLibpqEnvironment(), arguments);
            var proxied = await PgbenchAsync(_proxy.LibpqEnvironment(), arguments);

            var expectedError = failure == "division_by_zero" ? "ERROR:  division by zero" : "ERROR:  duplicate key value violates unique constraint";
            Assert.That(direct.StandardError, Does.Contain(expectedError), "direct: " + direct.Combined);
            Assert.That(proxied.ExitCode, Is.EqualTo(direct.ExitCode), $"direct:\n{direct.Combined}\nproxied:\n{proxied.Combined}");
            Assert.That(ErrorLines(proxied.StandardError), Is.EqualTo(ErrorLines(direct.StandardError)).And.Not.Empty,
                $"direct:\n{direct.Combined}\nproxied:\n{proxied.Combined}");

            // The failed pipeline was one implicit transaction: the insert before the failure is rolled back both times.
            var rows = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", $"SELECT count(*) FROM {table}"], _proxy.LibpqEnvironment());
            Assert.That(rows.StandardOutput.Trim(), Is.EqualTo("1"), rows.Combined);
        }
        finally
        {
            await ExternalProcess.RunAsync("psql", ["-X", "-c", $"DROP TABLE IF EXISTS {table}"], _proxy.LibpqEnvironment());
        }
    }

    private async Task<string> WriteScriptAsync(string text)
    {
        var path = Path.Combine(_workDirectory, $"script-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(path, text + "\n");
        return path;
    }

    /// <summary>The value after "name:" on pgbench's summary line, or null when the line is missing.</summary>
    private static string? Summary(string output, string name)
    {
        var match = Regex.Match(output, "^" + Regex.Escape(name) + @":\s*(.+)$", RegexOptions.Multiline);
        return match.Success ? match.Groups[1].Value.Trim() : null;
    }

    /// <summary>pgbench's standard error line by line, with decimal numbers (times, rates) masked as they differ from run to run.</summary>
    private static string[] ErrorLines(string standardError) =>
        standardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => Numbers().Replace(line, "#"))
            .ToArray();

    [GeneratedRegex(@"\d+\.\d+")]
    private static partial Regex Numbers();
}
