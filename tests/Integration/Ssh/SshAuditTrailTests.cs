using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// The audit trail of SSH sessions through a real ssh and sshd: the connection, each login attempt, each command with
/// how it ended, a blocked command, a refused tunnel and the end, each with the identity, origin, target and the session
/// id of the recording; the chain verifies.
/// </summary>
[TestFixture]
public sealed class SshAuditTrailTests : RecordedSshProxyFixture
{
    private string _directory = null!;
    private RecordingSigningKey _key = null!;
    private AuditLog _audit = null!;

    protected override async Task<AuditLog?> OpenAuditLogAsync()
    {
        _directory = Directory.CreateTempSubdirectory("hoopproxy-ssh-audit-").FullName;
        _key = RecordingSigningKey.Generate(Path.Combine(_directory, "audit.key"));
        var options = new AuditOptions(Path.Combine(_directory, "audit.jsonl"), Path.Combine(_directory, "audit.key"), TimeSpan.FromHours(1), 1000, true,
            1024, TimeSpan.FromSeconds(5));
        return _audit = await AuditLog.OpenAsync(options, NullLogger.Instance);
    }

    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd) => Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
    [
        new ChannelRule("no-rm", ChannelAction.Block) { Channels = [ChannelPolicy.Exec], Commands = ["rm"] },
    ]));

    [OneTimeTearDown]
    public async Task CloseAuditAsync()
    {
        await _audit.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private List<JsonObject> AuditLines() =>
        [.. File.ReadAllLines(Path.Combine(_directory, "audit.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())];

    [Test]
    public async Task Logins_commands_their_exit_a_blocked_command_a_refused_tunnel_and_the_end_are_in_the_trail_tied_to_the_session()
    {
        var sessions = await NewSealedSessionsAsync(async () =>
        {
            Assert.That((await Proxy.RunSshAsync("echo audited; exit 3")).ExitCode, Is.EqualTo(3));
            Assert.That((await Proxy.RunSshAsync("rm -rf /tmp/hoopproxy-audit-nothing")).ExitCode, Is.EqualTo(126));
            var tunnel = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptions(), "-W", "127.0.0.1:9", $"{SshProxyInstance.UserName}@127.0.0.1"],
                standardInput: "", timeout: TimeSpan.FromSeconds(60));
            Assert.That(tunnel.ExitCode, Is.EqualTo(255));
        }, expected: 3);
        await _audit.CheckpointAsync();

        var lines = AuditLines();
        var ids = sessions.Select(s => s.SessionId).ToHashSet();
        var ours = lines.Where(l => l["session_id"]?.GetValue<string>() is { } id && ids.Contains(id)).ToList();
        string Type(JsonObject l) => l["type"]!.GetValue<string>();
        string? Action(JsonObject l) => l["action"]?.GetValue<string>();
        string Outcome(JsonObject l) => l["outcome"]!.GetValue<string>();

        var logins = ours.Where(l => Type(l) == "authentication").ToList();
        Assert.That(logins, Has.Count.EqualTo(3), "one accepted login per session");
        Assert.That(logins.Select(l => (Outcome(l), Action(l))), Is.All.EqualTo(("success", "publickey")));
        var commands = ours.Where(l => Type(l) == "command").Select(l => (Action(l), Outcome(l), l["error_code"]?.GetValue<string>())).ToList();
        Assert.That(commands, Does.Contain(("echo audited; exit 3", "success", (string?)null)), "the command as it was let through");
        Assert.That(commands, Does.Contain(("echo audited; exit 3", "failure", (string?)"exit 3")), "how it ended");
        Assert.That(commands, Does.Contain(("rm -rf /tmp/hoopproxy-audit-nothing", "failure", (string?)"blocked")));
        var refused = ours.Single(l => Type(l) == "policy");
        Assert.That((Outcome(refused), Action(refused)), Is.EqualTo(("failure", "direct-tcpip 127.0.0.1:9")));
        Assert.That(refused["resource"]!["objects"]!.AsArray().Select(o => o!.GetValue<string>()), Is.EqualTo(new[] { "127.0.0.1:9" }));
        Assert.That(ours.Count(l => Type(l) == "disconnect"), Is.EqualTo(3));

        foreach (var line in ours)
        {
            Assert.That(line["user"]!["name"]!.GetValue<string>(), Is.EqualTo(SshProxyInstance.UserName), line.ToJsonString());
            Assert.That(line["user"]!["upstream_account"]!.GetValue<string>(), Is.EqualTo(LocalSshd.UserName));
            Assert.That(line["resource"]!["target"]!.GetValue<string>(), Is.EqualTo(SshProxyInstance.TargetName));
            Assert.That(line["origin"]!["client_address"]!.GetValue<string>(), Is.EqualTo("127.0.0.1"));
            Assert.That(line["credential_id"]!.GetValue<string>(), Does.StartWith("SHA256:"), "the key the client logged in with");
        }

        Assert.That(lines.Count(l => Type(l) == "connection"), Is.GreaterThanOrEqualTo(3));
        var report = new AuditVerifier([_key.PublicKey]).Verify(Path.Combine(_directory, "audit.jsonl"));
        Assert.That(report.IsValid, Is.True, report.ToString());
    }

    [Test]
    public async Task A_refused_login_is_in_the_trail_with_the_name_it_claimed_and_where_it_came_from()
    {
        var strangerKey = Path.Combine(_directory, "stranger_ed25519");
        await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", strangerKey]);
        var refused = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptions(strangerKey), $"{SshProxyInstance.UserName}@127.0.0.1", "true"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(refused.ExitCode, Is.EqualTo(255));
        await _audit.FlushAsync();

        var failures = AuditLines().Where(l => l["type"]!.GetValue<string>() == "authentication" && l["outcome"]!.GetValue<string>() == "failure").ToList();
        Assert.That(failures, Is.Not.Empty);
        var last = failures[^1];
        Assert.That((last["user"]!["name"]!.GetValue<string>(), last["action"]!.GetValue<string>(), last["origin"]!["client_address"]!.GetValue<string>()),
            Is.EqualTo((SshProxyInstance.UserName, "publickey", "127.0.0.1")));
        Assert.That(last["error_code"]!.GetValue<string>(), Is.EqualTo("refused"));
    }
}
