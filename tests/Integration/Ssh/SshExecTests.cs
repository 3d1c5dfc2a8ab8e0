using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>OpenSSH's ssh running commands on the real sshd through the proxy: output, errors, exit codes.</summary>
[TestFixture]
public sealed class SshExecTests : SshProxyFixture
{
    [TestCase("exit 0", 0)]
    [TestCase("exit 1", 1)]
    [TestCase("exit 255", 255)]
    [TestCase("exit 42", 42)]
    public async Task The_exit_status_of_the_command_reaches_the_client(string command, int expected)
    {
        var ssh = await Proxy.RunSshAsync(command);
        Assert.That(ssh.ExitCode, Is.EqualTo(expected), ssh.StandardError);
    }

    [Test]
    public async Task Stdout_and_stderr_arrive_apart_and_the_command_runs_as_the_target_account()
    {
        var ssh = await Proxy.RunSshAsync("id -un; echo to-stderr >&2");
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo(LocalSshd.UserName));
        Assert.That(ssh.StandardError.Trim(), Is.EqualTo("to-stderr"));
    }

    [Test]
    public async Task A_command_killed_by_a_signal_is_reported_as_the_shell_reports_it()
    {
        // OpenSSH's client exits 255 when the remote command died of a signal (exit-signal instead of exit-status).
        var ssh = await Proxy.RunSshAsync("kill -TERM $$");
        Assert.That(ssh.ExitCode, Is.EqualTo(255), ssh.StandardError);
    }
}
