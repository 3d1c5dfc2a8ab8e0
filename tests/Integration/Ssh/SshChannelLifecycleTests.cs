using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;
using Renci.SshNet;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Channel life cycles beyond the simple exec: stderr in bulk (extended data under the window), the client's EOF
/// with output after it, a command that ends while the client is still sending, many channels one after the other on
/// one connection, and the target's own keepalive requests (sshd's ClientAliveInterval) answered by the client through
/// the proxy while a quiet command runs.
/// </summary>
[TestFixture]
public sealed class SshChannelLifecycleTests
{
    private LocalSshd _sshd = null!;
    private SshProxyInstance _proxy = null!;
    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // sshd probes its client (the proxy) every second and gives up after two unanswered probes.
        _sshd = await LocalSshd.StartAsync(["ClientAliveInterval 1", "ClientAliveCountMax 2"]);
        _proxy = await SshProxyInstance.StartAsync(_sshd);
        _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-channels-");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _proxy.DisposeAsync();
        await _sshd.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    [Test]
    public async Task Sixteen_megabytes_of_stderr_arrive_unchanged()
    {
        var remote = "set -e; f=$(mktemp); trap 'rm -f \"$f\"' EXIT; head -c 16777216 /dev/urandom > \"$f\"; "
            + "echo \"target-sum $(sha256sum < \"$f\" | cut -d' ' -f1)\"; cat \"$f\" >&2";
        // stderr and stdout swap places in bash: the checksum of ssh's stderr comes out of the pipe.
        var pipeline = $"set -o pipefail; {{ {ShellQuoting.Join(_proxy.SshArguments(command: remote))} 3>&1 1>&2 2>&3 | sha256sum; }} 2>&1";
        var result = await ExternalProcess.RunAsync("bash", ["-c", pipeline], timeout: TimeSpan.FromMinutes(2));
        Assert.That(result.ExitCode, Is.Zero, result.StandardOutput);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var targetSum = lines.Single(l => l.StartsWith("target-sum ", StringComparison.Ordinal))["target-sum ".Length..];
        var received = lines.Single(l => l.EndsWith(" -", StringComparison.Ordinal)).Split(' ')[0];
        Assert.That(targetSum, Does.Match("^[0-9a-f]{64}$"));
        Assert.That(received, Is.EqualTo(targetSum));
    }

    [Test]
    public async Task Output_after_the_clients_eof_still_arrives()
    {
        var ssh = await _proxy.RunSshAsync("wc -c; sleep 0.2; echo after-eof; echo after-eof-err >&2", standardInput: "twelve bytes");
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput, Is.EqualTo("12\nafter-eof\n"));
        Assert.That(ssh.StandardError, Is.EqualTo("after-eof-err\n"));
    }

    [Test]
    public async Task A_command_that_ends_while_the_client_is_still_sending_ends_the_session_cleanly()
    {
        var input = Path.Combine(_folder.FullName, "early-close.bin");
        SshBulkTransferTests.WriteRandomFile(input, 16 << 20);
        try
        {
            var pipeline = $"{ShellQuoting.Join(_proxy.SshArguments(command: "head -c 10 | wc -c; exit 6"))} < {ShellQuoting.Quote(input)}";
            var result = await ExternalProcess.RunAsync("bash", ["-c", pipeline], timeout: TimeSpan.FromMinutes(2));
            Assert.That(result.ExitCode, Is.EqualTo(6), result.StandardError);
            Assert.That(result.StandardOutput.Trim(), Is.EqualTo("10"));
            Assert.That(result.StandardError, Is.Empty);
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Test]
    public void More_channels_one_after_the_other_than_the_proxy_holds_at_once()
    {
        using var client = new SshClient(new ConnectionInfo("127.0.0.1", _proxy.Port, SshProxyInstance.UserName,
            new PrivateKeyAuthenticationMethod(SshProxyInstance.UserName, new PrivateKeyFile(_proxy.ClientKeyFile))));
        client.HostKeyReceived += (_, e) => e.CanTrust = "SHA256:" + e.FingerPrintSHA256 == _proxy.HostKeyFingerprint;
        client.Connect();
        // Each closed channel is forgotten: the 65th is no more than the first.
        for (var i = 0; i < global::HoopProxy.Ssh.Session.ConnectionRelay.MaxChannels + 6; i++)
        {
            using var command = client.RunCommand($"echo channel-{i}");
            Assert.That((command.ExitStatus, command.Result), Is.EqualTo(((int?)0, $"channel-{i}\n")), command.Error);
        }
    }

    [Test]
    public async Task The_targets_keepalive_requests_are_answered_by_the_client_through_the_proxy()
    {
        // sshd sends keepalive@openssh.com on the open channel every second and ends the connection after two without
        // an answer; the OpenSSH client answers (CHANNEL_FAILURE) and the proxy relays the answer to the target.
        var ssh = await _proxy.RunSshAsync("sleep 4; echo still-here", timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("still-here"));
    }
}
