using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// The scenario end to end, through the real <c>hoopproxy serve</c>: a contractor's CI token runs pgbench
/// against PostgreSQL and a command over SSH; the token's id is written to the revocation file; both sessions end
/// within a second, new connections with the token fail, and <c>hoopproxy audit query</c> tells the whole story, every
/// line with the fields PCI DSS 10.2.2 asks for, in a log that verifies.
/// </summary>
public sealed class OffboardedContractorTests
{
    private const string Contractor = "contractor@example.test";
    private const string ContractorSubject = "00u-contractor-77";

    [Test]
    public async Task Revoking_the_token_ends_pgbench_and_ssh_within_a_second_and_the_audit_trail_tells_the_story()
    {
        await using var sshd = await LocalSshd.StartAsync();
        using var idp = TestIdentityProvider.Start();
        using var certificates = TestCertificates.Create();
        var folder = certificates.Directory;
        var revocations = Path.Combine(folder, "revoked.json");
        await File.WriteAllTextAsync(revocations, "{}");
        RecordingSigningKey.Generate(Path.Combine(folder, "signing.key"));
        var pgPort = LocalPostgresCluster.FreeTcpPort();
        var sshPort = LocalPostgresCluster.FreeTcpPort();
        var configPath = Path.Combine(folder, "hoopproxy.json");
        await File.WriteAllTextAsync(configPath, Configuration(pgPort, sshPort, sshd, await sshd.HostKeyFingerprintAsync(), idp, revocations));

        var token = idp.Mint(idp.Rsa, c =>
        {
            c["email"] = Contractor;
            c["sub"] = ContractorSubject;
            c["groups"] = new JsonArray("contractors");
        });
        var tokenId = TestIdentityServices.TokenIdOf(token);
        var libpq = new Dictionary<string, string>
        {
            ["PGHOST"] = "127.0.0.1", ["PGPORT"] = pgPort.ToString(CultureInfo.InvariantCulture), ["PGUSER"] = Contractor, ["PGPASSWORD"] = token,
            ["PGDATABASE"] = "bank", ["PGSSLMODE"] = "require", ["PGCONNECT_TIMEOUT"] = "10",
        };
        var askpass = Path.Combine(folder, "askpass");
        await File.WriteAllTextAsync(askpass, $"#!/bin/sh\nprintf '%s\\n' {ShellQuoting.Quote(token)}\n");
        await ExternalProcess.RunCheckedAsync("chmod", ["500", askpass]);

        using var serve = ServeProcess.Start(configPath);
        var first = await RetryUntilListeningAsync(() => ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT current_user"], libpq));
        Assert.That(first.ExitCode, Is.Zero, first.Combined + serve.Output);
        Assert.That(first.StandardOutput.Trim(), Is.EqualTo(TestCluster.TargetUser));

        // The contractor's agent at work: a pgbench run and a long command over SSH, both under the token.
        var script = Path.Combine(folder, "select.sql");
        await File.WriteAllTextAsync(script, "SELECT abs(-1);\n");
        var pgbench = ExternalProcess.RunAsync("pgbench", ["-n", "-f", script, "-c", "2", "-j", "2", "-T", "60"], libpq, timeout: TimeSpan.FromSeconds(90));
        var ssh = Ssh(sshPort, askpass, "echo agent-started; sleep 60");
        var audit = Path.Combine(folder, "audit", "audit.jsonl");
        Assert.That(await Poll.UntilAsync(async () => Running(await ReadAuditAsync(audit)), TimeSpan.FromSeconds(20)), Is.True,
            "pgbench's two sessions and the ssh command are running\n" + serve.Output);
        Assert.That(pgbench.IsCompleted || ssh.IsCompleted, Is.False, "both run until the token is revoked");

        var revokedAt = Stopwatch.StartNew();
        var temporary = revocations + ".new";
        await File.WriteAllTextAsync(temporary, $$"""{ "tokenIds": [ "{{tokenId}}" ] }""");
        File.Move(temporary, revocations, overwrite: true);
        var pgbenchEnded = pgbench.ContinueWith(_ => revokedAt.Elapsed, TaskScheduler.Default);
        var sshEnded = ssh.ContinueWith(_ => revokedAt.Elapsed, TaskScheduler.Default);
        var (pgbenchResult, sshResult) = (await pgbench, await ssh);
        TestContext.Out.WriteLine($"after the revocation file was replaced: pgbench ended in {(await pgbenchEnded).TotalMilliseconds:0} ms, " +
            $"ssh in {(await sshEnded).TotalMilliseconds:0} ms");

        Assert.That(pgbenchResult.ExitCode, Is.Not.Zero);
        Assert.That(pgbenchResult.StandardError, Does.Contain($"terminating connection: token '{tokenId}' has been revoked"));
        Assert.That(sshResult.StandardOutput, Does.Contain("agent-started"));
        Assert.That(sshResult.ExitCode, Is.EqualTo(255), sshResult.Combined);
        Assert.That(sshResult.StandardError, Does.Contain($"token '{tokenId}' has been revoked"));
        // The lists are re-read within ~0.5 s; the margin is for a loaded CI machine, the figures are printed above.
        Assert.That(await pgbenchEnded, Is.LessThan(TimeSpan.FromSeconds(3)));
        Assert.That(await sshEnded, Is.LessThan(TimeSpan.FromSeconds(3)));

        var psqlAgain = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT 1"], libpq);
        Assert.That(psqlAgain.ExitCode, Is.Not.Zero);
        Assert.That(psqlAgain.StandardError, Does.Contain($"token '{tokenId}' has been revoked"));
        var sshAgain = await Ssh(sshPort, askpass, "echo should-not-run");
        Assert.That(sshAgain.ExitCode, Is.EqualTo(255));
        Assert.That(sshAgain.StandardOutput, Does.Not.Contain("should-not-run"));
        Assert.That(sshAgain.StandardError, Does.Contain("has been revoked"));

        Assert.That(await serve.TerminateAsync(TimeSpan.FromSeconds(30)), Is.True, "the proxy stops on SIGTERM");
        var verify = await Hoopproxy("audit", "verify", "--config", configPath);
        Assert.That(verify.ExitCode, Is.Zero, verify.Combined);
        var query = await Hoopproxy("audit", "query", "--config", configPath, "--json");
        Assert.That(query.ExitCode, Is.Zero, query.Combined);
        var story = query.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        AssertTheStory(story, idp.Issuer, tokenId);
    }

    /// <summary>Who did what, when, with which credential, from where, and how it ended — from the trail alone.</summary>
    private static void AssertTheStory(List<JsonObject> story, string issuer, string tokenId)
    {
        string Type(JsonObject l) => l["type"]!.GetValue<string>();
        string? Str(JsonNode? n) => n?.GetValue<string>();
        bool IsContractor(JsonObject l) => Str(l["user"]!["name"]) == Contractor;

        foreach (var line in story)
        {
            Assert.That(line.Select(p => p.Key), Is.SupersetOf(new[]
            {
                "seq", "time", "type", "outcome", "error_code", "user", "credential_id", "session_id", "origin", "resource", "action", "details", "hash",
            }), line.ToJsonString());
            Assert.That(line["user"]!.AsObject().Select(p => p.Key), Is.SupersetOf(new[] { "issuer", "subject", "name", "groups", "upstream_account" }));
            Assert.That(line["origin"]!.AsObject().Select(p => p.Key), Is.SupersetOf(new[] { "client_address", "client_port", "proxy_host" }));
            Assert.That(line["resource"]!.AsObject().Select(p => p.Key), Is.SupersetOf(new[] { "protocol", "target", "database", "objects" }));
        }

        var logins = story.Where(l => Type(l) == "authentication" && IsContractor(l) && Str(l["outcome"]) == "success").ToList();
        Assert.That(logins.Select(l => Str(l["resource"]!["protocol"])).Distinct().Order(), Is.EqualTo(new[] { "postgres", "ssh" }));
        foreach (var login in logins)
        {
            Assert.That((Str(login["user"]!["issuer"]), Str(login["user"]!["subject"]), Str(login["credential_id"])), Is.EqualTo((issuer, ContractorSubject, tokenId)));
            Assert.That(login["user"]!["groups"]!.AsArray().Select(g => Str(g)), Is.EqualTo(new[] { "contractors" }));
            Assert.That(Str(login["origin"]!["client_address"]), Is.EqualTo("127.0.0.1"));
            Assert.That(Str(login["session_id"]), Is.Not.Null);
        }

        Assert.That(story.Any(l => Type(l) == "statement" && IsContractor(l) && Str(l["action"])?.StartsWith("SELECT abs(-1)", StringComparison.Ordinal) == true), Is.True, "pgbench's statements");
        Assert.That(story.Any(l => Type(l) == "command" && IsContractor(l) && Str(l["action"])!.Contains("sleep 60", StringComparison.Ordinal)), Is.True,
            "the ssh command");

        var listed = story.Single(l => Type(l) == "revocation" && Str(l["action"]) == "listed");
        Assert.That((Str(listed["details"]!["kind"]), Str(listed["details"]!["value"])), Is.EqualTo(("tokenIds", tokenId)));
        var ended = story.Where(l => Type(l) == "revocation" && Str(l["action"]) == "revoked").ToList();
        Assert.That(ended.Select(l => Str(l["resource"]!["protocol"])).Order(), Is.EqualTo(new[] { "postgres", "postgres", "ssh" }),
            "pgbench's two sessions and the ssh session were ended");
        Assert.That(ended.Select(l => Str(l["credential_id"])), Is.All.EqualTo(tokenId));
        Assert.That(ended.Select(l => story.IndexOf(l)), Is.All.GreaterThan(story.IndexOf(listed)), "the list changed, then the sessions ended");
        foreach (var end in ended)
        {
            var disconnect = story.Single(l => Type(l) == "disconnect" && Str(l["session_id"]) == Str(end["session_id"]));
            Assert.That(story.IndexOf(disconnect), Is.GreaterThan(story.IndexOf(end)));
            Assert.That(Str(disconnect["action"]), Does.Contain($"token '{tokenId}' has been revoked"));
        }

        var refusedAfter = story.Where(l => Type(l) == "authentication" && Str(l["outcome"]) == "failure" && story.IndexOf(l) > story.IndexOf(listed)).ToList();
        Assert.That(refusedAfter.Select(l => Str(l["resource"]!["protocol"])).Distinct().Order(), Is.EqualTo(new[] { "postgres", "ssh" }),
            "the new connections with the revoked token were refused on both listeners");
        Assert.That(refusedAfter.Select(l => Str(l["user"]!["name"])), Is.All.EqualTo(Contractor));
        Assert.That(refusedAfter.Select(l => Str(l["credential_id"])), Is.All.EqualTo(tokenId), "the refused token is named by its id");
    }

    /// <summary>Both of pgbench's sessions logged in and the ssh command started, as the trail says.</summary>
    private static bool Running(List<JsonObject> lines) =>
        lines.Count(l => l["type"]!.GetValue<string>() == "authentication" && l["outcome"]!.GetValue<string>() == "success"
            && l["resource"]!["protocol"]?.GetValue<string>() == "postgres") >= 3 // the first psql, then pgbench's two clients
        && lines.Any(l => l["type"]!.GetValue<string>() == "command" && l["action"]?.GetValue<string>()?.Contains("sleep 60", StringComparison.Ordinal) == true);

    private static async Task<List<JsonObject>> ReadAuditAsync(string file)
    {
        if (!File.Exists(file))
        {
            return [];
        }

        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = new List<JsonObject>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.EndsWith('}') && JsonNode.Parse(line) is JsonObject parsed)
            {
                lines.Add(parsed);
            }
        }

        return lines;
    }

    private static Task<ExternalProcess.Result> Ssh(int port, string askpass, string command) => ExternalProcess.RunAsync("ssh",
    [
        "-p", port.ToString(CultureInfo.InvariantCulture), "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no",
        // LogLevel INFO, OpenSSH's default: at ERROR it would not print the banner that explains a refused token.
        "-o", "NumberOfPasswordPrompts=1", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=INFO",
        "-l", Contractor, "127.0.0.1", command,
    ], new Dictionary<string, string> { ["SSH_ASKPASS"] = askpass, ["SSH_ASKPASS_REQUIRE"] = "force", ["DISPLAY"] = ":0" }, standardInput: "",
        timeout: TimeSpan.FromSeconds(90));

    private static Task<ExternalProcess.Result> Hoopproxy(params string[] arguments) =>
        ExternalProcess.RunAsync("dotnet", [ServeProcess.HoopproxyDll, .. arguments], timeout: TimeSpan.FromSeconds(60));

    private static async Task<ExternalProcess.Result> RetryUntilListeningAsync(Func<Task<ExternalProcess.Result>> attempt)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var result = await attempt();
            if (result.ExitCode == 0 || !result.StandardError.Contains("Connection refused", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(200);
        }
    }

    private static string Configuration(int pgPort, int sshPort, LocalSshd sshd, string hostKey, TestIdentityProvider idp, string revocations) =>
        new JsonObject
        {
            ["Postgres"] = new JsonObject
            {
                ["Listen"] = $"127.0.0.1:{pgPort}",
                ["DefaultTarget"] = "bank",
                ["Tls"] = new JsonObject { ["CertificateFile"] = "server.crt", ["KeyFile"] = "server.key" },
                ["Targets"] = new JsonObject
                {
                    ["bank"] = new JsonObject
                    {
                        ["Host"] = "127.0.0.1", ["Port"] = TestCluster.Postgres.Port, ["Database"] = TestCluster.TargetDatabase,
                        ["Username"] = TestCluster.TargetUser, ["Password"] = TestCluster.TargetPassword, ["SslMode"] = "prefer",
                    },
                },
            },
            ["Ssh"] = new JsonObject
            {
                ["Listen"] = $"127.0.0.1:{sshPort}",
                ["HostKeyFile"] = "ssh_host_ed25519",
                ["DefaultTarget"] = "web",
                ["Targets"] = new JsonObject
                {
                    ["web"] = new JsonObject
                    {
                        ["Host"] = sshd.Host, ["Port"] = sshd.Port, ["Username"] = LocalSshd.UserName, ["PrivateKeyFile"] = sshd.UserKeyFile, ["HostKey"] = hostKey,
                    },
                },
            },
            ["Users"] = new JsonObject { ["alice"] = new JsonObject { ["Password"] = "alice-pw", ["Groups"] = new JsonArray("analysts") } },
            ["Identity"] = new JsonObject
            {
                ["Oidc"] = new JsonObject
                {
                    ["Issuer"] = idp.Issuer, ["Audience"] = TestIdentityProvider.Audience, ["JwksFile"] = idp.WriteJwksFile(),
                    ["NameClaim"] = "email", ["GroupsClaim"] = "groups",
                },
                ["MaxTokenAge"] = "12:00:00",
                ["RevocationsFile"] = revocations,
            },
            ["Recording"] = new JsonObject { ["Directory"] = "recordings", ["SigningKeyFile"] = "signing.key" },
            ["Audit"] = new JsonObject { ["File"] = "audit/audit.jsonl", ["SigningKeyFile"] = "signing.key" },
        }.ToJsonString();
}
