using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// What the proxy does not relay yet is refused cleanly and recorded: a direct-tcpip channel (<c>ssh -W</c>) fails
/// with "administratively prohibited", and agent forwarding (<c>ssh -A</c>) is refused while the command runs on.
/// </summary>
[TestFixture]
public sealed class SshRefusalTests : RecordedSshProxyFixture
{

    [Test]
    public async Task Stdio_forwarding_is_administratively_prohibited_and_recorded()
    {
        ExternalProcess.Result ssh = null!;
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            // The target's own sshd port: reachable, and its sshd would allow the forwarding (AllowTcpForwarding yes) — the proxy refuses.
            ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptionsWithLogLevel("INFO"), "-W", $"127.0.0.1:{Sshd.Port}",
                $"{SshProxyInstance.UserName}@127.0.0.1"], standardInput: "", timeout: TimeSpan.FromSeconds(60));
        });
        Assert.That(ssh.ExitCode, Is.EqualTo(255), ssh.StandardError);
        Assert.That(ssh.StandardError, Does.Contain("open failed: administratively prohibited"));
        Assert.That(ssh.StandardOutput, Does.Not.Contain("SSH-2.0"), "nothing of the target's sshd came through");

        var refused = records.Where(r => r.EventType == "channel-refused").Select(r => r.Fields!).Single();
        Assert.That(refused["type"]!.GetValue<string>(), Is.EqualTo("direct-tcpip"));
        Assert.That(refused["from"]!.GetValue<string>(), Is.EqualTo("client"));
        Assert.That(refused["refused_by"]!.GetValue<string>(), Is.EqualTo("proxy"));
        Assert.That(records.Where(r => r.EventType == "channel-open"), Is.Empty);
    }

    [Test]
    public async Task Agent_forwarding_is_refused_and_the_command_still_runs()
    {
        // An agent for ssh to offer: without one, ssh would not ask to forward it.
        var agentFolder = Directory.CreateTempSubdirectory("hoopproxy-agent-");
        var socket = Path.Combine(agentFolder.FullName, "agent.sock");
        var agent = await ExternalProcess.RunCheckedAsync("ssh-agent", ["-a", socket, "-s"]);
        var agentPid = agent.StandardOutput.Split("SSH_AGENT_PID=")[1].Split(';')[0];
        try
        {
            ExternalProcess.Result ssh = null!;
            var records = await RecordsOfNewSessionAsync(async () =>
            {
                ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptionsWithLogLevel("DEBUG1"), "-A", $"{SshProxyInstance.UserName}@127.0.0.1",
                    "echo \"agent=[${SSH_AUTH_SOCK:-none}]\"; exit 4"], new Dictionary<string, string> { ["SSH_AUTH_SOCK"] = socket }, standardInput: "",
                    timeout: TimeSpan.FromSeconds(60));
            });
            Assert.That(ssh.StandardError, Does.Contain("Requesting authentication agent forwarding."));
            Assert.That(ssh.ExitCode, Is.EqualTo(4), ssh.StandardError);
            Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("agent=[none]"), "the target's sshd never saw the request");

            var request = records.Where(r => r.EventType == "channel-request").Select(r => r.Fields!)
                .Single(f => f["request"]!.GetValue<string>() == "auth-agent-req@openssh.com");
            Assert.That(request["refused"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty);
            Assert.That(records.Where(r => r.EventType == "channel-request").Select(r => r.Fields!["request"]!.GetValue<string>()),
                Does.Contain("exec").And.Contain("exit-status"));
        }
        finally
        {
            await ExternalProcess.RunAsync("kill", [agentPid]);
            agentFolder.Delete(recursive: true);
        }
    }
}
