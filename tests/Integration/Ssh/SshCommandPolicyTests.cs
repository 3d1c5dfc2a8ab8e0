using System.Text.RegularExpressions;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Exec requests judged before they run: a Block rule (by program name after shell parsing, or by pattern) gives the
/// client the refusal on stderr and exit status 126 while nothing of the command runs; other commands run; a command
/// line that cannot be read is blocked while rules name programs; the refusal is recorded.
/// </summary>
[TestFixture]
public sealed class SshCommandPolicyTests : RecordedSshProxyFixture
{

    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd) => Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
    [
        new ChannelRule("no-rm", ChannelAction.Block) { Commands = ["rm", "shutdown"] },
        new ChannelRule("no-drop", ChannelAction.Block) { Pattern = new Regex("drop\\s+database", RegexOptions.IgnoreCase) },
    ]));

    [TestCase("rm -f {0}", "no-rm")]
    [TestCase("/bin/rm -f {0}", "no-rm")]
    [TestCase("true && sudo -u root rm -f {0}", "no-rm")]
    [TestCase("LANG=C nice -n 5 rm -f {0}; echo after", "no-rm")]
    [TestCase("echo $(rm -f {0})", "no-rm")]
    [TestCase("echo 'DROP  DATABASE bank' > /dev/null; ls {0}", "no-drop")]
    public async Task A_blocked_command_gets_its_refusal_on_stderr_and_exit_status_126_and_does_not_run(string template, string rule)
    {
        var victim = $"/tmp/hoopproxy-victim-{Guid.NewGuid():N}";
        Assert.That((await Proxy.RunSshAsync($"touch {victim}")).ExitCode, Is.Zero);
        try
        {
            var ssh = await Proxy.RunSshAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, victim));

            Assert.That(ssh.ExitCode, Is.EqualTo(126), ssh.StandardError);
            Assert.That(ssh.StandardError, Does.Contain($"hoopproxy: command blocked: rule \"{rule}\""));
            Assert.That(ssh.StandardOutput, Is.Empty, "nothing of the command ran");
            Assert.That((await Proxy.RunSshAsync($"test -e {victim}")).ExitCode, Is.Zero, "the file is still there");
        }
        finally
        {
            File.Delete(victim);
        }
    }

    [Test]
    public async Task Commands_no_rule_names_run()
    {
        var ssh = await Proxy.RunSshAsync("echo rmdir-is-not-rm; ls / > /dev/null && echo listed");
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput, Is.EqualTo("rmdir-is-not-rm\nlisted\n"));
    }

    [Test]
    public async Task A_command_line_that_cannot_be_read_is_blocked_while_rules_name_programs()
    {
        var ssh = await Proxy.RunSshAsync("echo 'unterminated");
        Assert.That(ssh.ExitCode, Is.EqualTo(126));
        Assert.That(ssh.StandardError, Does.Contain("could not be parsed"));
    }

    [Test]
    public async Task The_refusal_is_recorded_with_the_command_the_client_sent()
    {
        var records = await RecordsOfNewSessionAsync(() => Proxy.RunSshAsync("shutdown -h now"));
        var exec = records.Where(r => r.EventType == "channel-request").Select(r => r.Fields!).Single(f => f["request"]!.GetValue<string>() == "exec");
        Assert.That(exec["command"]!.GetValue<string>(), Is.EqualTo("shutdown -h now"));
        Assert.That(exec["refused"]!.GetValue<string>(), Is.EqualTo("rule \"no-rm\""));
        var status = records.Where(r => r.EventType == "channel-request").Select(r => r.Fields!).Single(f => f["request"]!.GetValue<string>() == "exit-status");
        Assert.That(status["status"]!.GetValue<uint>(), Is.EqualTo(126u));
    }
}
