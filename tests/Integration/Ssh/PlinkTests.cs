using System.Globalization;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// PuTTY's plink (putty-tools) as the client of the proxy, with the password and the proxy's host key pinned by its
/// SHA256 fingerprint (<c>-hostkey</c>): a command with its output and exit status, and a shell on a pty fed from stdin.
/// </summary>
[TestFixture]
public sealed class PlinkTests : SshProxyFixture
{
    private const string Plink = "/usr/bin/plink";

    [OneTimeSetUp]
    public void RequirePlink()
    {
        if (!File.Exists(Plink))
        {
            throw new InvalidOperationException($"{Plink} is missing: apt-get install putty-tools (scripts/install-deps.sh should)");
        }
    }

    private List<string> Arguments(string hostKey) =>
    [
        "-batch", "-ssh", "-P", Proxy.Port.ToString(CultureInfo.InvariantCulture), "-l", SshProxyInstance.UserName,
        "-pw", SshProxyInstance.UserPassword, "-hostkey", hostKey,
    ];

    [Test]
    public async Task A_command_with_its_output_and_exit_status()
    {
        var plink = await ExternalProcess.RunAsync(Plink, [.. Arguments(Proxy.HostKeyFingerprint), "127.0.0.1", "echo hi; echo err >&2; exit 3"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(plink.ExitCode, Is.EqualTo(3), plink.StandardError);
        Assert.That(plink.StandardOutput.Trim(), Is.EqualTo("hi"));
        Assert.That(plink.StandardError, Does.Contain("err"));
    }

    [Test]
    public async Task A_host_key_other_than_the_pinned_one_is_refused()
    {
        // The counterpart of the pin above: with -batch, plink gives up instead of asking.
        var plink = await ExternalProcess.RunAsync(Plink, [.. Arguments("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"), "127.0.0.1", "echo hi"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(plink.ExitCode, Is.Not.Zero);
        Assert.That(plink.StandardError, Does.Contain("Host key not in manually configured list"));
        Assert.That(plink.StandardOutput, Does.Not.Contain("hi"));
    }

    [Test]
    public async Task A_shell_on_a_pty_reads_its_commands_from_stdin()
    {
        var plink = await ExternalProcess.RunAsync(Plink, [.. Arguments(Proxy.HostKeyFingerprint), "-t", "127.0.0.1"],
            standardInput: "echo shell-$((1+1))-ok\nexit\n", timeout: TimeSpan.FromSeconds(60));
        Assert.That(plink.ExitCode, Is.Zero, plink.Combined);
        // The typed text has "$((1+1))": "shell-2-ok" is the shell's output.
        Assert.That(plink.StandardOutput, Does.Contain("shell-2-ok"), plink.Combined);
    }

    [Test]
    public async Task Sixteen_megabytes_go_up_and_come_down_unchanged()
    {
        // PuTTY's channel windows and packets are smaller than OpenSSH's: the proxy passes them through as they are.
        var folder = Directory.CreateTempSubdirectory("hoopproxy-plink-");
        try
        {
            var input = Path.Combine(folder.FullName, "up.bin");
            var expected = SshBulkTransferTests.WriteRandomFile(input, 16 << 20);
            var arguments = ShellQuoting.Join([Plink, .. Arguments(Proxy.HostKeyFingerprint), "127.0.0.1"]);
            var up = await ExternalProcess.RunAsync("bash", ["-c", $"set -o pipefail; {arguments} 'sha256sum' < {ShellQuoting.Quote(input)}"],
                timeout: TimeSpan.FromMinutes(2));
            Assert.That(up.ExitCode, Is.Zero, up.StandardError);
            Assert.That(SshBulkTransferTests.Sha256SumOf(up), Is.EqualTo(expected), "what the target received");

            var down = await ExternalProcess.RunAsync("bash", ["-c", $"set -o pipefail; {arguments} 'cat' < {ShellQuoting.Quote(input)} | sha256sum"],
                timeout: TimeSpan.FromMinutes(2));
            Assert.That(down.ExitCode, Is.Zero, down.StandardError);
            Assert.That(SshBulkTransferTests.Sha256SumOf(down), Is.EqualTo(expected), "what came back");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    public async Task An_upload_that_waits_for_the_window_arrives_unchanged()
    {
        // The command reads nothing for a second: the target's window (2 MB) fills, plink buffers stdin, and when the
        // window opens again it sends full packets of the target's maximum size (32 KB) — larger than its own (16 KB).
        var folder = Directory.CreateTempSubdirectory("hoopproxy-plink-");
        try
        {
            var input = Path.Combine(folder.FullName, "up.bin");
            var expected = SshBulkTransferTests.WriteRandomFile(input, 4 << 20);
            var arguments = ShellQuoting.Join([Plink, .. Arguments(Proxy.HostKeyFingerprint), "127.0.0.1"]);
            var up = await ExternalProcess.RunAsync("bash", ["-c", $"set -o pipefail; {arguments} 'sleep 1; sha256sum' < {ShellQuoting.Quote(input)}"],
                timeout: TimeSpan.FromMinutes(2));
            Assert.That(up.ExitCode, Is.Zero, up.StandardError);
            Assert.That(SshBulkTransferTests.Sha256SumOf(up), Is.EqualTo(expected), "what the target received");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
