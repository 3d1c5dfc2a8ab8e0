using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Transport;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// The proxy rekeys by its own limit (every megabyte here) on both of its connections — with the OpenSSH client and
/// with the target's sshd — during a 16 MB round trip through <c>cat</c> on one open channel; the bytes come back
/// unchanged. Neither OpenSSH side would rekey on its own within 16 MB, so the key changes they log are the proxy's.
/// </summary>
[TestFixture]
public sealed class SshProxyRekeyTests
{
    private LocalSshd _sshd = null!;
    private SshProxyInstance _proxy = null!;
    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // DEBUG1: the target's sshd logs each NEWKEYS it sends and receives.
        _sshd = await LocalSshd.StartAsync(["LogLevel DEBUG1"]);
        _proxy = await SshProxyInstance.StartAsync(_sshd, rekey: new RekeyLimits(Bytes: 1 << 20));
        _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-proxy-rekey-");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _proxy.DisposeAsync();
        await _sshd.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    [Test]
    public async Task Proxy_initiated_rekeys_on_both_connections_keep_a_16_MB_round_trip_intact()
    {
        var sshdLogBefore = new FileInfo(_sshd.LogFile).Length;
        var (result, expected) = await SshClientRekeyTests.RoundTripAsync(_folder.FullName,
            _proxy.SshArguments(command: "cat", options: _proxy.SshOptionsWithLogLevel("DEBUG1")));
        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        Assert.That(SshBulkTransferTests.Sha256SumOf(result), Is.EqualTo(expected));

        // Client side: the first key exchange, then the proxy's rekeys (OpenSSH's own limit is far above 16 MB).
        var clientKeyChanges = SshClientRekeyTests.CountLines(result.StandardError, "debug1: SSH2_MSG_NEWKEYS received");
        Assert.That(clientKeyChanges, Is.GreaterThanOrEqualTo(9), "the proxy rekeyed its connection with the client: " + result.StandardError);
        Assert.That(SshClientRekeyTests.CountLines(result.StandardError, "debug1: SSH2_MSG_NEWKEYS sent"), Is.EqualTo(clientKeyChanges));

        // Target side: sshd's log of this session (appended since the test began).
        string sshdLog;
        await using (var log = new FileStream(_sshd.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            log.Seek(sshdLogBefore, SeekOrigin.Begin);
            sshdLog = await new StreamReader(log).ReadToEndAsync();
        }

        var targetKeyChanges = sshdLog.Split('\n').Count(l => l.Contains("SSH2_MSG_NEWKEYS received", StringComparison.Ordinal));
        await TestContext.Out.WriteLineAsync($"key changes: {clientKeyChanges} with the client, {targetKeyChanges} with the target");
        Assert.That(targetKeyChanges, Is.GreaterThanOrEqualTo(9), "the proxy rekeyed its connection with the target: " + sshdLog);
    }
}
