using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Audit;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// The hoopproxy executable's <c>audit verify</c> and <c>audit query</c> on a log written through the core API: exit
/// codes, the report naming a tampered line, and the filters with table and JSON output.
/// </summary>
public sealed class AuditCliTests
{
    private static readonly DateTimeOffset Ten = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private AuditFixture _fixture = null!;
    private string _config = null!;
    private string _publicKey = null!;

    [OneTimeSetUp]
    public async Task WriteLog()
    {
        _fixture = new AuditFixture(checkpointEvents: 4);
        var alice = AuditFixture.AliceOnBank;
        var bob = new AuditContext("ssh-9", AuditUser.Local("bob", ["ops"], "deploy"), "SHA256:b0bKey", new AuditOrigin("198.51.100.7", 40022),
            new AuditResource("ssh", "web", null, []));
        await using (var log = await _fixture.OpenAsync())
        {
            await log.WriteAsync(alice.Event(AuditEventType.Connection, AuditOutcome.Success) with { Time = Ten });
            await log.WriteAsync(alice.Event(AuditEventType.Authentication, AuditOutcome.Success, action: "password (oidc token)") with { Time = Ten.AddSeconds(1) });
            await log.WriteAsync(alice.Event(AuditEventType.Statement, AuditOutcome.Success, action: "SELECT name,\n       ssn FROM customers",
                objects: ["public.customers"]) with { Time = Ten.AddSeconds(2) });
            await log.WriteAsync(bob.Event(AuditEventType.Command, AuditOutcome.Success, action: "systemctl restart nginx",
                details: new JsonObject { ["channel"] = 0, ["request"] = "exec" }) with { Time = Ten.AddMinutes(5) });
            await log.WriteAsync(alice.Event(AuditEventType.PolicyDecision, AuditOutcome.Failure, action: "DELETE FROM accounts", errorCode: "42501",
                details: new JsonObject { ["rule"] = "protect-accounts", ["decision"] = "block" }, objects: ["public.accounts"]) with { Time = Ten.AddMinutes(10) });
            await log.WriteAsync(bob.Event(AuditEventType.Disconnect, AuditOutcome.Success, action: "client closed") with { Time = Ten.AddMinutes(20) });
        }

        _publicKey = Convert.ToBase64String(_fixture.Key.PublicKey);
        _config = Path.Combine(_fixture.Root, "hoopproxy.json");
        await File.WriteAllTextAsync(_config, """
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } },
              "Audit": { "File": "logs/audit.jsonl", "SigningKeyFile": "audit.key", "CheckpointInterval": "00:00:30" }
            }
            """);
    }

    [OneTimeTearDown]
    public void TearDown() => _fixture.Dispose();

    private static Task<ExternalProcess.Result> Hoopproxy(params string[] arguments) =>
        ExternalProcess.RunAsync("dotnet", [ServeProcess.HoopproxyDll, "audit", .. arguments], timeout: TimeSpan.FromMinutes(1));

    /// <summary>A copy of the log with <paramref name="edit"/> applied to its lines, for tampering without touching the original.</summary>
    private string TamperedCopy(string name, Action<List<string>> edit)
    {
        var lines = _fixture.Lines();
        edit(lines);
        var path = Path.Combine(_fixture.Root, name);
        File.WriteAllText(path, string.Concat(lines.Select(l => l + "\n")));
        return path;
    }

    [Test]
    public async Task Verify_with_the_configuration_passes_and_prints_the_chain_head()
    {
        var result = await Hoopproxy("verify", "--config", _config);

        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput, Does.StartWith($"OK: {_fixture.LogPath}: 10 lines (8 events, 2 checkpoints) verified"));
        Assert.That(result.StandardOutput, Does.Contain($"chain head: seq 10, hash {AuditFixture.HashOf(_fixture.Lines()[^1])}").And.Contain("last signed checkpoint: line 10"));
    }

    [Test]
    public async Task Verify_a_file_with_the_public_key_in_base64_or_the_signing_key_file()
    {
        var base64 = await Hoopproxy("verify", "--file", _fixture.LogPath, "--public-key", _publicKey);
        var keyFile = await Hoopproxy("verify", "--file", _fixture.LogPath, "--public-key", _fixture.KeyFile);

        Assert.That((base64.ExitCode, keyFile.ExitCode), Is.EqualTo((0, 0)), base64.Combined + keyFile.Combined);
    }

    [Test]
    public async Task Verify_fails_naming_a_changed_line()
    {
        var path = TamperedCopy("changed.jsonl", lines => lines[3] = lines[3].Replace("ssn FROM customers", "1 FROM customers", StringComparison.Ordinal));

        var result = await Hoopproxy("verify", "--file", path, "--public-key", _publicKey);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.Combined);
        Assert.That(result.StandardOutput, Does.StartWith($"FAILED: {path}: 1 problem in 10 lines"));
        Assert.That(result.StandardOutput, Does.Contain("  line 4: Changed: seq 4 does not match its hash: the line was edited after it was written"));
    }

    [Test]
    public async Task Verify_fails_naming_removed_and_swapped_lines()
    {
        var removed = await Hoopproxy("verify", "--file", TamperedCopy("removed.jsonl", lines => lines.RemoveAt(6)), "--public-key", _publicKey);
        var swapped = await Hoopproxy("verify", "--file", TamperedCopy("swapped.jsonl", lines => (lines[1], lines[2]) = (lines[2], lines[1])), "--public-key", _publicKey);

        Assert.That(removed.ExitCode, Is.EqualTo(1), removed.Combined);
        Assert.That(removed.StandardOutput, Does.Contain("line 7: Removed: seq 7 is missing before this line: a line was removed"));
        Assert.That(swapped.ExitCode, Is.EqualTo(1), swapped.Combined);
        Assert.That(swapped.StandardOutput, Does.Contain("line 3: Reordered: seq 2 is out of order: it belongs before line 2"));
    }

    [Test]
    public async Task Verify_fails_on_a_truncated_log_and_a_key_that_is_not_the_logs()
    {
        var truncated = TamperedCopy("truncated.jsonl", _ => { });
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..^20]);
        var otherKey = Convert.ToBase64String(Core.Recording.RecordingSigningKey.FromSeed(new byte[32]).PublicKey);

        var cut = await Hoopproxy("verify", "--file", truncated, "--public-key", _publicKey);
        var wrongKey = await Hoopproxy("verify", "--file", _fixture.LogPath, "--public-key", otherKey);

        Assert.That(cut.ExitCode, Is.EqualTo(1), cut.Combined);
        Assert.That(cut.StandardOutput, Does.Contain("line 10: Incomplete: the file ends inside this line"));
        Assert.That(wrongKey.ExitCode, Is.EqualTo(1), wrongKey.Combined);
        Assert.That(wrongKey.StandardOutput, Does.Contain("line 5: UntrustedKey: the checkpoint is signed by key " + _fixture.Key.KeyId));
    }

    [Test]
    public async Task Usage_and_configuration_errors_exit_2()
    {
        var noKey = await Hoopproxy("verify", "--file", _fixture.LogPath);
        var both = await Hoopproxy("verify", "--file", _fixture.LogPath, "--config", _config);
        var badType = await Hoopproxy("query", "--config", _config, "--type", "statment");
        var noSection = Path.Combine(_fixture.Root, "no-audit.json");
        File.WriteAllText(noSection, """{ "Postgres": {} }""");
        var unconfigured = await Hoopproxy("query", "--config", noSection);

        Assert.That((noKey.ExitCode, both.ExitCode, badType.ExitCode, unconfigured.ExitCode), Is.EqualTo((2, 2, 2, 2)));
        Assert.That(noKey.StandardError, Does.Contain("--file needs --public-key"));
        Assert.That(both.StandardError, Does.Contain("--config (its Audit section) or --file, one of them"));
        Assert.That(badType.StandardError, Does.Contain("--type: 'statment' is not one of connection, authentication, statement"));
        Assert.That(unconfigured.StandardError, Does.Contain("configuration error: Audit: the configuration keeps no audit trail"));
    }

    [Test]
    public async Task Query_by_user_prints_an_aligned_table()
    {
        var result = await Hoopproxy("query", "--config", _config, "--user", "alice@example.test");

        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        var lines = result.StandardOutput.TrimEnd().Split('\n');
        Assert.That(lines[0], Does.Match("^SEQ +TIME \\(UTC\\) +TYPE +OUTCOME +USER +TARGET +SESSION +ACTION$"));
        Assert.That(lines.Skip(1).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[2]),
            Is.EqualTo(new[] { "connection", "authentication", "statement", "policy" }));
        Assert.That(lines[3], Does.Contain("2026-11-26 10:00:02.000").And.Contain("SELECT name, ssn FROM customers"));
        Assert.That(lines[4], Does.Contain("failure (42501)").And.Contain("DELETE FROM accounts"));
        var column = lines[0].IndexOf("TYPE", StringComparison.Ordinal);
        Assert.That(lines.Skip(1).Select(l => l[column..].Split(' ')[0]), Has.All.Not.Empty, "columns aligned under the header");
    }

    [Test]
    public async Task Query_by_target_type_and_time_as_json_lines()
    {
        var byTarget = await Hoopproxy("query", "--config", _config, "--target", "web", "--json");
        var byType = await Hoopproxy("query", "--config", _config, "--type", "statement,command", "--json");
        var byTime = await Hoopproxy("query", "--config", _config, "--since", "2026-11-26T10:00:02", "--until", "2026-11-26T10:10:00Z", "--json");
        var bySession = await Hoopproxy("query", "--file", _fixture.LogPath, "--session", "ssh-9", "--outcome", "success", "--json");

        static List<JsonObject> Events(ExternalProcess.Result result)
        {
            Assert.That(result.ExitCode, Is.Zero, result.Combined);
            return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];
        }

        Assert.That(Events(byTarget).Select(e => e["type"]!.GetValue<string>()), Is.EqualTo(new[] { "command", "disconnect" }));
        Assert.That(Events(byType).Select(e => e["action"]!.GetValue<string>()), Is.EqualTo(new[] { "SELECT name,\n       ssn FROM customers", "systemctl restart nginx" }));
        Assert.That(Events(byTime).Select(e => e["seq"]!.GetValue<long>()), Is.EqualTo(new long[] { 4, 6 }), "10:00:02 and 10:05; 10:10 is excluded");
        var bob = Events(bySession);
        Assert.That(bob.Select(e => e["type"]!.GetValue<string>()), Is.EqualTo(new[] { "command", "disconnect" }));
        Assert.That(bob[0]["hash"]!.GetValue<string>(), Has.Length.EqualTo(64), "lines as stored");
        Assert.That(bySession.StandardError, Is.Empty, "no warning for a log that verifies");
    }

    [Test]
    public async Task Query_on_a_tampered_log_warns_and_still_answers()
    {
        var path = TamperedCopy("query-changed.jsonl", lines => lines[3] = lines[3].Replace("ssn", "name", StringComparison.Ordinal));

        var result = await Hoopproxy("query", "--file", path, "--public-key", _publicKey, "--type", "statement");

        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardError, Does.Contain("warning: the audit log fails verification (1 problem, the first line 4: Changed"));
        Assert.That(result.StandardOutput, Does.Contain("SELECT name, name FROM customers"));
    }
}
