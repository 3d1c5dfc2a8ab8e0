using System.Collections.Frozen;
using System.Globalization;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Logging in through the proxy with OpenSSH: alice's password (typed by an askpass program), refusals of a wrong
/// password, an unknown key and an unknown user, target routing by <c>alice+TARGET</c>, and what the client is told
/// when the proxy cannot log in to the target (a host key other than the pinned one, a target that does not answer).
/// </summary>
[TestFixture]
public sealed class SshLoginTests
{
    private const string OtherTarget = "second";
    private const string WrongPinTarget = "wrong-pin";
    private const string DownTarget = "down";

    private LocalSshd _sshd = null!;
    private readonly ClosedPort _downPort = new();
    private LocalSshd _secondSshd = null!;
    private SshProxyInstance _proxy = null!;
    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _sshd = await LocalSshd.StartAsync();
        _secondSshd = await LocalSshd.StartAsync();
        var second = await SshProxyInstance.TargetFor(_secondSshd, OtherTarget);
        // The first sshd, pinned with its RSA key's fingerprint while the proxy is offered the ed25519 key.
        var wrongPin = await SshProxyInstance.TargetFor(_sshd, WrongPinTarget) with { HostKeyFingerprint = await _sshd.HostKeyFingerprintAsync("rsa") };
        var down = await SshProxyInstance.TargetFor(_sshd, DownTarget) with { Port = _downPort.Port };
        _proxy = await SshProxyInstance.StartAsync(_sshd, options => options with
        {
            Targets = new Dictionary<string, SshTarget>(options.Targets) { [OtherTarget] = second, [WrongPinTarget] = wrongPin, [DownTarget] = down }
                .ToFrozenDictionary(),
        });
        _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-login-");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _proxy.DisposeAsync();
        await _secondSshd.DisposeAsync();
        await _sshd.DisposeAsync();
        _downPort.Dispose();
        _folder.Delete(recursive: true);
    }

    private string Port => _proxy.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>ssh with the password only, typed by an askpass script that prints <paramref name="password"/>.</summary>
    private async Task<ExternalProcess.Result> RunWithPasswordAsync(string password, string command, string login = SshProxyInstance.UserName)
    {
        var askpass = Path.Combine(_folder.FullName, $"askpass-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(askpass, $"#!/bin/sh\nprintf '%s\\n' {ShellQuoting.Quote(password)}\n");
        await ExternalProcess.RunCheckedAsync("chmod", ["500", askpass]);
        return await ExternalProcess.RunAsync("ssh",
        [
            "-p", Port, "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", $"{login}@127.0.0.1", command,
        ], new Dictionary<string, string> { ["SSH_ASKPASS"] = askpass, ["SSH_ASKPASS_REQUIRE"] = "force", ["DISPLAY"] = ":0" }, standardInput: "",
            timeout: TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task OpenSSH_logs_in_with_alices_password()
    {
        var ssh = await RunWithPasswordAsync(SshProxyInstance.UserPassword, "echo password-$((4*4))");
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("password-16"));
    }

    [Test]
    public async Task A_wrong_password_is_refused()
    {
        var ssh = await RunWithPasswordAsync("not-" + SshProxyInstance.UserPassword, "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("Permission denied"));
        Assert.That(ssh.StandardOutput, Is.Empty);
    }

    [Test]
    public async Task A_key_that_is_not_alices_is_refused()
    {
        var key = Path.Combine(_folder.FullName, $"mallory-{Guid.NewGuid():N}");
        await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
        var ssh = await ExternalProcess.RunAsync("ssh", [.. _proxy.SshOptions(key), $"{SshProxyInstance.UserName}@127.0.0.1", "echo should-not-run"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("Permission denied (publickey,password)"));
    }

    [TestCase("bob")]
    [TestCase("alice+no-such-target")]
    public async Task An_unknown_user_is_refused_like_a_wrong_credential(string login)
    {
        var ssh = await RunWithPasswordAsync(SshProxyInstance.UserPassword, "echo should-not-run", login);
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("Permission denied (publickey,password)"));
    }

    [Test]
    public async Task The_target_named_in_the_user_name_is_the_one_logged_in_to()
    {
        // $SSH_CONNECTION ends with the port of the sshd the proxy logged in to.
        var plain = await _proxy.RunSshAsync("echo ${SSH_CONNECTION##* }", login: SshProxyInstance.UserName);
        var named = await _proxy.RunSshAsync("echo ${SSH_CONNECTION##* }", login: $"{SshProxyInstance.UserName}+{OtherTarget}");
        var explicitDefault = await _proxy.RunSshAsync("echo ${SSH_CONNECTION##* }", login: $"{SshProxyInstance.UserName}+{SshProxyInstance.TargetName}");
        Assert.That((plain.ExitCode, named.ExitCode, explicitDefault.ExitCode), Is.EqualTo((0, 0, 0)), plain.StandardError + named.StandardError);
        Assert.That(plain.StandardOutput.Trim(), Is.EqualTo(_sshd.Port.ToString(CultureInfo.InvariantCulture)));
        Assert.That(named.StandardOutput.Trim(), Is.EqualTo(_secondSshd.Port.ToString(CultureInfo.InvariantCulture)));
        Assert.That(explicitDefault.StandardOutput.Trim(), Is.EqualTo(_sshd.Port.ToString(CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task A_target_whose_host_key_is_not_the_pinned_one_is_not_logged_in_to_and_the_client_is_told()
    {
        var ssh = await _proxy.RunSshAsync("echo should-not-run", login: $"{SshProxyInstance.UserName}+{WrongPinTarget}");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardOutput, Is.Empty);
        Assert.That(ssh.StandardError, Does.Contain("is not the pinned").And.Contain(await _sshd.HostKeyFingerprintAsync("rsa")));
    }

    [Test]
    public async Task A_target_that_does_not_answer_is_named_to_the_client()
    {
        var ssh = await _proxy.RunSshAsync("echo should-not-run", login: $"{SshProxyInstance.UserName}+{DownTarget}");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain($"could not reach target \"{DownTarget}\""));
    }
}
