using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// "env" channel requests through the proxy: OpenSSH's SetEnv and SendEnv reach the target's sshd, which accepts
/// HOOP_* (LocalSshd's AcceptEnv) and drops the rest.
/// </summary>
[TestFixture]
public sealed class SshEnvironmentTests : SshProxyFixture
{
    [Test]
    public async Task SetEnv_reaches_the_command_on_the_target()
    {
        var ssh = await Proxy.RunSshAsync("echo \"[$HOOP_TEST]\"", ["-o", "SetEnv=HOOP_TEST=value"]);
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("[value]"));
    }

    [Test]
    public async Task SendEnv_passes_the_clients_own_variable_and_the_target_drops_what_it_does_not_accept()
    {
        var arguments = Proxy.SshArguments(["-o", "SendEnv=HOOP_FROM_CLIENT OTHER_FROM_CLIENT"], "echo \"[$HOOP_FROM_CLIENT][$OTHER_FROM_CLIENT]\"");
        var ssh = await ExternalProcess.RunAsync(arguments[0], arguments.Skip(1),
            new Dictionary<string, string> { ["HOOP_FROM_CLIENT"] = "with spaces and 'quotes'", ["OTHER_FROM_CLIENT"] = "not accepted" },
            timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("[with spaces and 'quotes'][]"));
    }
}
