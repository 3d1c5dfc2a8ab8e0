using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>psql through the proxy: simple-protocol queries, multi-statement strings, \copy and errors in a batch.</summary>
public sealed class PsqlTests
{
    private ProxyInstance _proxy = null!;
    private string _workDirectory = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _proxy = await ProxyInstance.StartAsync();
        _workDirectory = Directory.CreateTempSubdirectory("hoopproxy-psql-").FullName;
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _proxy.DisposeAsync();
        Directory.Delete(_workDirectory, recursive: true);
    }

    private Task<ExternalProcess.Result> PsqlAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("psql", ["-X", "-At", .. arguments], _proxy.LibpqEnvironment(), timeout: TimeSpan.FromSeconds(60));

    private static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..30];

    [Test]
    public async Task Single_statement()
    {
        var result = await PsqlAsync("-c", "SELECT 40 + 2, current_user");
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput.Trim(), Is.EqualTo("42|app"));
    }

    [Test]
    public async Task Multi_statement_string_returns_every_result()
    {
        var result = await PsqlAsync("-c", "select 1; select 2");
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "1", "2" }));
    }

    [Test]
    public async Task Copy_to_a_file_and_back_preserves_rows()
    {
        var source = UniqueName("psql_copy_src");
        var target = UniqueName("psql_copy_dst");
        var file = Path.Combine(_workDirectory, source + ".tsv");
        try
        {
            var setup = await PsqlAsync("-v", "ON_ERROR_STOP=1",
                "-c", $"CREATE TABLE {source} (id int PRIMARY KEY, label text, amount numeric(12,2), note text)",
                "-c", $"INSERT INTO {source} SELECT g, 'row ' || g || E'\\ttab', g * 1.25, CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('x', g % 50) END FROM generate_series(1, 5000) g",
                "-c", $"CREATE TABLE {target} (LIKE {source})");
            Assert.That(setup.ExitCode, Is.Zero, setup.Combined);

            var export = await PsqlAsync("-v", "ON_ERROR_STOP=1", "-c", $"\\copy {source} to '{file}'");
            Assert.That(export.ExitCode, Is.Zero, export.Combined);
            Assert.That(export.StandardOutput.Trim(), Is.EqualTo("COPY 5000"));
            Assert.That(File.ReadLines(file).Count(), Is.EqualTo(5000));

            var import = await PsqlAsync("-v", "ON_ERROR_STOP=1", "-c", $"\\copy {target} from '{file}'");
            Assert.That(import.ExitCode, Is.Zero, import.Combined);
            Assert.That(import.StandardOutput.Trim(), Is.EqualTo("COPY 5000"));

            var compare = await PsqlAsync("-v", "ON_ERROR_STOP=1",
                "-c", $"SELECT count(*) FROM {target}",
                "-c", $"SELECT count(*) FROM ((TABLE {source} EXCEPT ALL TABLE {target}) UNION ALL (TABLE {target} EXCEPT ALL TABLE {source})) d",
                "-c", $"SELECT label || '|' || amount || '|' || coalesce(note, '<null>') FROM {target} WHERE id IN (7, 4999) ORDER BY id");
            Assert.That(compare.ExitCode, Is.Zero, compare.Combined);
            Assert.That(compare.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[]
            {
                "5000",
                "0",
                "row 7\ttab|8.75|<null>",
                "row 4999\ttab|6248.75|" + new string('x', 4999 % 50),
            }));
        }
        finally
        {
            await PsqlAsync("-c", $"DROP TABLE IF EXISTS {source}, {target}");
        }
    }

    [Test]
    public async Task Tls_with_sslmode_require_succeeds_every_time()
    {
        using var certificates = TestCertificates.Create();
        await using var proxy = await ProxyInstance.StartAsync(options => options with { Tls = certificates.ProxyTlsOptions });
        var environment = proxy.LibpqEnvironment();
        environment["PGSSLMODE"] = "require";

        // libpq sends its ClientHello the moment it reads 'S'; a proxy that looks at the socket too late
        // mistakes it for injected plaintext. One attempt can be lucky, a series of them is not.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var result = await ExternalProcess.RunAsync("psql", ["-X", "-c", "\\conninfo", "-c", "SELECT 'over tls'"], environment, timeout: TimeSpan.FromSeconds(30));
            Assert.That(result.ExitCode, Is.Zero, $"attempt {attempt}: {result.Combined}");
            Assert.That(result.StandardOutput, Does.Contain("SSL connection (protocol: TLSv1."), result.Combined);
            Assert.That(result.StandardOutput, Does.Contain("over tls"));
        }
    }

    [Test]
    public async Task Error_in_a_multi_statement_string_is_reported()
    {
        var result = await PsqlAsync("-c", "select 1; select 1/0; select 3");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.Combined);
        Assert.That(result.StandardError, Does.Contain("ERROR:  division by zero"));
        // The server abandons the rest of a simple-protocol batch after an error.
        Assert.That(result.StandardOutput, Does.Not.Contain("3"));
    }

    [Test]
    public async Task Session_keeps_working_after_an_error_in_a_script()
    {
        var script = Path.Combine(_workDirectory, UniqueName("script") + ".sql");
        await File.WriteAllTextAsync(script, """
            select 'before';
            select 1; select 1/0; select 3;
            select 'after:' || current_user;
            """);
        var result = await PsqlAsync("-v", "ON_ERROR_STOP=0", "-f", script);
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardError, Does.Contain("ERROR:  division by zero"));
        Assert.That(result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "before", "1", "3", "after:app" }));
    }
}
