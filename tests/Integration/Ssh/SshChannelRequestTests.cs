using System.Globalization;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;
using Renci.SshNet;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Channel requests the proxy answers itself mixed with those it relays: replies must reach the client in the order
/// of its requests (RFC 4254 §5.4) — X11 and agent forwarding asked with want_reply between pty-req and exec/shell are
/// refused by the proxy, the others answered by the target. And a signal sent by a client (SSH.NET's cancellation)
/// reaches the command.
/// </summary>
[TestFixture]
public sealed class SshChannelRequestTests : SshProxyFixture
{
    private const string Plink = "/usr/bin/plink";

    [Test]
    public async Task X11_forwarding_between_pty_req_and_exec_is_refused_in_order()
    {
        // ssh -X asks for x11-req with want_reply after pty-req and before exec (both want_reply too): three replies, in order.
        var ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptionsWithLogLevel("INFO"), "-tt", "-X", $"{SshProxyInstance.UserName}@127.0.0.1",
            "echo \"display=[${DISPLAY:-none}] tty=$(tty | cut -c1-8)\"; exit 2"],
            new Dictionary<string, string> { ["DISPLAY"] = "127.0.0.1:93", ["TERM"] = "xterm" }, standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.EqualTo(2), ssh.Combined);
        Assert.That(ssh.StandardOutput, Does.Contain("display=[none] tty=/dev/pts"), "no X11 on the target, and the pty was granted");
        Assert.That(ssh.StandardError, Does.Contain("X11 forwarding request failed"));
        Assert.That(ssh.StandardError, Does.Not.Contain("PTY allocation request failed"));
    }

    [Test]
    public async Task Plinks_agent_and_x11_requests_with_want_reply_are_refused_and_its_shell_runs()
    {
        // PuTTY asks for agent forwarding and X11 with want_reply=1 (OpenSSH does not for the agent).
        var agentFolder = Directory.CreateTempSubdirectory("hoopproxy-agent-");
        var socket = Path.Combine(agentFolder.FullName, "agent.sock");
        var agent = await ExternalProcess.RunCheckedAsync("ssh-agent", ["-a", socket, "-s"]);
        var agentPid = agent.StandardOutput.Split("SSH_AGENT_PID=")[1].Split(';')[0];
        try
        {
            var plink = await ExternalProcess.RunAsync(Plink,
            [
                "-batch", "-ssh", "-v", "-P", Proxy.Port.ToString(CultureInfo.InvariantCulture), "-l", SshProxyInstance.UserName,
                "-pw", SshProxyInstance.UserPassword, "-hostkey", Proxy.HostKeyFingerprint, "-A", "-X", "-t", "127.0.0.1",
            ], new Dictionary<string, string> { ["SSH_AUTH_SOCK"] = socket, ["DISPLAY"] = "127.0.0.1:93" },
                standardInput: "echo \"agent=[${SSH_AUTH_SOCK:-none}] display=[${DISPLAY:-none}]\" req-$((5*5))\nexit 4\n", timeout: TimeSpan.FromSeconds(60));
            Assert.That(plink.ExitCode, Is.EqualTo(4), plink.Combined);
            Assert.That(plink.StandardOutput, Does.Contain("agent=[none] display=[none] req-25"), plink.Combined);
            Assert.That(plink.StandardError, Does.Contain("Agent forwarding refused"));
            Assert.That(plink.StandardError, Does.Contain("X11 forwarding refused"));
            Assert.That(plink.StandardError, Does.Contain("Allocated pty"));
        }
        finally
        {
            await ExternalProcess.RunAsync("kill", [agentPid]);
            agentFolder.Delete(recursive: true);
        }
    }

    [Test]
    public async Task A_cancelled_SshNet_command_is_ended_by_the_signal_it_sends()
    {
        using var client = new SshClient(new ConnectionInfo("127.0.0.1", Proxy.Port, SshProxyInstance.UserName,
            new PrivateKeyAuthenticationMethod(SshProxyInstance.UserName, new PrivateKeyFile(Proxy.ClientKeyFile))));
        client.HostKeyReceived += (_, e) => e.CanTrust = "SHA256:" + e.FingerPrintSHA256 == Proxy.HostKeyFingerprint;
        client.Connect();
        // exec makes the sleep the session's process itself, so the signal reaches it (not a shell waiting for it).
        using var command = client.CreateCommand("echo started; exec sleep 60");
        using var cancel = new CancellationTokenSource();
        var running = command.ExecuteAsync(cancel.Token);
        using var reader = new StreamReader(command.OutputStream);
        Assert.That(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo("started"));
        await cancel.CancelAsync();
        Assert.That(async () => await running.WaitAsync(TimeSpan.FromSeconds(20)), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(command.ExitSignal, Is.EqualTo("TERM"), "the target's exit-signal came back through the proxy");
        Assert.That(command.ExitStatus, Is.Null);
    }
}
