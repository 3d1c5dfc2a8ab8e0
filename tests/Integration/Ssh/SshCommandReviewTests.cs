using HoopProxy.Core.Approvals;
using HoopProxy.Host.Admin;
using HoopProxy.Host.Configuration;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Policy;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;
using HoopProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Exec requests a Review rule holds, through a real ssh and the real approvals CLI: the client hears on stderr that
/// the command waits and who can approve it; approved, it runs with the input sent meanwhile; denied or not decided in
/// time, the target runs the stand-in instead (exit 126) and the command never runs (marker files prove it); a client
/// that leaves withdraws its request. Every step is in the recording.
/// </summary>
[TestFixture]
public sealed class SshCommandReviewTests : RecordedSshProxyFixture
{
    private const string DoraToken = "dora-token-0123456789abcdef";
    private const string ReviewedMarker = "/tmp/hoopproxy-reviewed-";
    private const string HurriedMarker = "/tmp/hoopproxy-hurried-";

    private readonly ApprovalBroker _broker = new();
    private AdminApiServer _admin = null!;
    private string _configFile = null!;

    private static string HoopproxyDll => Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");

    protected override ApprovalBroker? ApprovalBrokerForProxy() => _broker;

    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd) => Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
    [
        new ChannelRule("touching-reviewed-needs-ops", ChannelAction.Review)
        {
            Pattern = new System.Text.RegularExpressions.Regex(ReviewedMarker), Approvers = ["ops"], Timeout = TimeSpan.FromMinutes(2),
        },
        new ChannelRule("hurried-review", ChannelAction.Review)
        {
            Pattern = new System.Text.RegularExpressions.Regex(HurriedMarker), Approvers = ["ops"], Timeout = TimeSpan.FromSeconds(2),
        },
    ]));

    [OneTimeSetUp]
    public async Task StartAdminAsync()
    {
        _configFile = Path.Combine(Proxy.Directory, "hoopproxy.json");
        await File.WriteAllTextAsync(_configFile, Configuration(0));
        _admin = new AdminApiServer(ProxyConfiguration.Load(_configFile).Admin!, _broker, NullLoggerFactory.Instance);
        await _admin.StartAsync(CancellationToken.None);
        // The CLI dials the port the system chose for the server.
        await File.WriteAllTextAsync(_configFile, Configuration(_admin.EndPoint.Port));
    }

    [OneTimeTearDown]
    public async Task StopAdminAsync()
    {
        await _admin.StopAsync(CancellationToken.None);
        await _admin.DisposeAsync();
    }

    private static string Configuration(int adminPort) => $$"""
        {
          "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } },
          "Admin": { "Listen": "127.0.0.1:{{adminPort}}", "Approvers": { "dora": { "Token": "{{DoraToken}}", "Groups": [ "ops" ] } } }
        }
        """;

    private Task<ExternalProcess.Result> HoopproxyAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("dotnet", [HoopproxyDll, .. arguments, "--config", _configFile, "--token", DoraToken],
            new Dictionary<string, string> { [ApprovalsCommand.TokenVariable] = "" }, timeout: TimeSpan.FromMinutes(1));

    private async Task<ApprovalRequest> WaitForRequestAsync(string marker)
    {
        ApprovalRequest? request = null;
        Assert.That(await Poll.UntilAsync(() => Task.FromResult((request = _broker.PendingRequests.FirstOrDefault(r => r.Statement.Contains(marker,
            StringComparison.Ordinal))) is not null), TimeSpan.FromSeconds(30)), Is.True, "the command is held for approval");
        return request!;
    }

    private static string NewMarker(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    [Test]
    public async Task An_approved_command_runs_after_the_approver_says_so_with_the_input_sent_while_it_waited()
    {
        var marker = NewMarker(ReviewedMarker);
        Task<ExternalProcess.Result> ssh = null!;
        ApprovalRequest request = null!;
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            ssh = Proxy.RunSshAsync($"touch {marker} && cat", standardInput: "typed while it waited\n", timeout: TimeSpan.FromMinutes(2));
            request = await WaitForRequestAsync(marker);
            Assert.That((request.Protocol, request.Requester, request.Target, request.Rule), Is.EqualTo(("ssh", "alice", "web", "touching-reviewed-needs-ops")));
            Assert.That(File.Exists(marker), Is.False, "nothing ran before the approval");
            Assert.That(ssh.IsCompleted, Is.False, "ssh waits");

            var approved = await HoopproxyAsync("approvals", "approve", request.Id);
            Assert.That(approved.ExitCode, Is.Zero, approved.Combined);
            var result = await ssh;
            Assert.That(result.ExitCode, Is.Zero, result.Combined);
            Assert.That(result.StandardOutput, Is.EqualTo("typed while it waited\n"));
            Assert.That(result.StandardError, Does.Contain($"hoopproxy: command held for approval: request {request.Id} under rule \"touching-reviewed-needs-ops\""));
            Assert.That(result.StandardError, Does.Contain($"hoopproxy approvals approve {request.Id}"));
        });

        Assert.That(File.Exists(marker), Is.True, "the approved command ran on the target");
        File.Delete(marker);
        var approvals = records.Where(r => r.EventType == "approval").Select(r => r.Fields!).ToList();
        Assert.That(approvals.Select(a => a["status"]!.GetValue<string>()), Is.EqualTo(new[] { "requested", "approved" }));
        Assert.That(approvals.Select(a => a["request"]!.GetValue<string>()), Is.All.EqualTo(request.Id));
        Assert.That(approvals[1]["decided_by"]!.GetValue<string>(), Is.EqualTo("dora"));
        var exec = records.Single(r => r.EventType == "channel-request" && r.Fields!["request"]!.GetValue<string>() == "exec").Fields!;
        Assert.That((exec["command"]!.GetValue<string>(), exec["approval"]!.GetValue<string>()), Is.EqualTo(($"touch {marker} && cat", request.Id)));
    }

    [Test]
    public async Task A_denied_command_never_runs_and_the_client_gets_the_reason_and_exit_status_126()
    {
        var marker = NewMarker(ReviewedMarker);
        var ssh = Proxy.RunSshAsync($"touch {marker}", timeout: TimeSpan.FromMinutes(2));
        var request = await WaitForRequestAsync(marker);

        var denied = await HoopproxyAsync("approvals", "deny", request.Id, "--reason", "not during the freeze");
        Assert.That(denied.ExitCode, Is.Zero, denied.Combined);
        var result = await ssh;

        Assert.That(result.ExitCode, Is.EqualTo(126), result.Combined);
        Assert.That(result.StandardError, Does.Contain($"hoopproxy: command blocked: denied by dora (request {request.Id}): not during the freeze"));
        Assert.That(File.Exists(marker), Is.False, "the denied command ran");
    }

    [Test]
    public async Task A_command_nobody_decides_in_time_never_runs()
    {
        var marker = NewMarker(HurriedMarker);
        var result = await Proxy.RunSshAsync($"touch {marker}", timeout: TimeSpan.FromMinutes(1));

        Assert.That(result.ExitCode, Is.EqualTo(126), result.Combined);
        Assert.That(result.StandardError, Does.Contain("hoopproxy: command blocked: not approved in time"));
        Assert.That(File.Exists(marker), Is.False, "the command ran without an approval");
    }

    [Test]
    public async Task A_client_that_leaves_while_its_command_waits_withdraws_the_request_and_nothing_runs()
    {
        var marker = NewMarker(ReviewedMarker);
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            using var ssh = System.Diagnostics.Process.Start("ssh", [.. Proxy.SshOptions(), $"{SshProxyInstance.UserName}@127.0.0.1", $"touch {marker}"]);
            var request = await WaitForRequestAsync(marker);
            ssh.Kill();
            await ssh.WaitForExitAsync();
            Assert.That(await Poll.UntilAsync(() => Task.FromResult(_broker.PendingRequests.All(r => r.Id != request.Id)), TimeSpan.FromSeconds(20)), Is.True,
                "the request is still pending after its client left");
            var approve = await HoopproxyAsync("approvals", "approve", request.Id);
            Assert.That(approve.ExitCode, Is.Not.Zero, "a withdrawn request can no longer be approved");
        });

        Assert.That(File.Exists(marker), Is.False, "the command ran after its client left");
        Assert.That(records.Where(r => r.EventType == "approval").Select(r => r.Fields!["status"]!.GetValue<string>()),
            Is.EqualTo(new[] { "requested", "withdrawn" }));
    }

    [Test]
    public async Task A_client_that_closes_the_channel_while_its_command_waits_withdraws_the_request_and_the_stand_in_runs()
    {
        var marker = NewMarker(ReviewedMarker);
        var client = await RawSshClient.LoginAsync(Proxy.Port, Proxy.HostKeyFingerprint, SshProxyInstance.UserName, SshProxyInstance.UserPassword);
        try
        {
            var channel = await client.OpenSessionAsync(1 << 20, 32 * 1024);
            await client.SendAsync(MessageBytes.Of(ChannelRequest.Create(channel.SenderChannel, wantReply: true, ExecRequest.FromText($"touch {marker}")).WriteTo));
            var request = await WaitForRequestAsync(marker);
            await client.SendAsync(MessageBytes.Of(new ChannelClose(channel.SenderChannel).WriteTo));

            // The reply to the exec comes (the target ran the stand-in), then the target's close.
            var seen = new List<SshMessageNumber>();
            while (!seen.Contains(SshMessageNumber.ChannelClose))
            {
                seen.Add((SshMessageNumber)(await client.ReceiveAsync(TimeSpan.FromSeconds(30)))[0]);
            }

            Assert.That(_broker.PendingRequests.Select(r => r.Id), Does.Not.Contain(request.Id), "the request outlived its channel");
            var approve = await HoopproxyAsync("approvals", "approve", request.Id);
            Assert.That(approve.ExitCode, Is.Not.Zero, "a withdrawn request can no longer be approved");
            Assert.That(File.Exists(marker), Is.False, "the command ran after its client closed the channel");
        }
        finally
        {
            await client.DisposeAsync();
        }
    }
}
