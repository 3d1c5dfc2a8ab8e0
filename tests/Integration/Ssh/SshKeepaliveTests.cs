using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// OpenSSH's ServerAlive probes (keepalive@openssh.com global requests) are answered by the proxy: a client that gives
/// up after two unanswered probes a second apart keeps a four-second command alive.
/// </summary>
[TestFixture]
public sealed class SshKeepaliveTests : SshProxyFixture
{
    [Test]
    public async Task Keepalive_probes_are_answered_while_a_quiet_command_runs()
    {
        var ssh = await ExternalProcess.RunAsync("ssh",
            [.. Proxy.SshOptionsWithLogLevel("DEBUG3"), "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2",
                $"{SshProxyInstance.UserName}@127.0.0.1", "sleep 4; echo alive"], timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("alive"));
        // DEBUG3 shows each probe (GLOBAL_REQUEST, 80) and each answer (REQUEST_FAILURE, 82: any reply proves the peer alive).
        var probes = ssh.StandardError.Split('\n').Count(l => l.Trim() == "debug3: send packet: type 80");
        var answers = ssh.StandardError.Split('\n').Count(l => l.Trim() is "debug3: receive packet: type 81" or "debug3: receive packet: type 82");
        Assert.That(probes, Is.GreaterThanOrEqualTo(2), "a quiet four seconds with a one-second interval sends probes");
        Assert.That(answers, Is.GreaterThanOrEqualTo(probes - 1), "every probe but perhaps the one in flight at the end was answered");
        Assert.That(ssh.StandardError, Does.Not.Contain("not responding"));
    }
}
