using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Each key exchange method, host key algorithm and cipher/MAC the proxy offers, forced once on the OpenSSH client in
/// front of the proxy (<c>-o KexAlgorithms=…</c> etc.); a command runs through the proxy with it and <c>ssh -v</c>
/// shows what was negotiated. The proxy's host key is ed25519 only, so ssh-ed25519 is the one host key algorithm
/// through the proxy (the others are tested against the transport alone in <see cref="KeyExchangeInteropTests"/>).
/// Debian 12's OpenSSH 9.2 has no mlkem768x25519-sha256 (it came in 9.9); the list below holds what it has, checked
/// against <c>ssh -Q</c> first.
/// </summary>
[TestFixture]
public sealed class SshAlgorithmTests : SshProxyFixture
{
    private static readonly string[] KeyExchanges =
        ["curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512@openssh.com", "sntrup761x25519-sha512", "ecdh-sha2-nistp256"];

    private static readonly string[] AeadCiphers = ["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"];

    private static readonly string[] CtrCiphers = ["aes128-ctr", "aes256-ctr"];

    private static readonly string[] Macs = ["hmac-sha2-256", "hmac-sha2-512", "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"];

    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public void CreateFolders()
    {
        _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-algorithms-");
    }

    [OneTimeTearDown]
    public void DeleteFolders()
    {
        _folder.Delete(recursive: true);
    }

    private static IEnumerable<TestCaseData> CipherCases() =>
        AeadCiphers.Select(c => new TestCaseData(c, null).SetArgDisplayNames(c))
            .Concat(CtrCiphers.SelectMany(c => Macs.Select(m => new TestCaseData(c, m).SetArgDisplayNames(c, m))));

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.TrimEntries);

    /// <summary>What <c>ssh -Q <paramref name="query"/></c> lists.</summary>
    private static async Task<string[]> QueryAsync(string query)
    {
        var result = await ExternalProcess.RunCheckedAsync("ssh", ["-Q", query]);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Runs a command through the proxy at LogLevel DEBUG1 with <paramref name="forced"/> options; checks it ran.</summary>
    private async Task<string> RunVerboseAsync(params string[] forced)
    {
        var ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptionsWithLogLevel("DEBUG1"), .. forced,
            $"{SshProxyInstance.UserName}@127.0.0.1", "echo through-$((40+2))"], timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("through-42"));
        return ssh.StandardError;
    }

    [TestCaseSource(nameof(KeyExchanges))]
    public async Task Key_exchange_method(string kex)
    {
        Assert.That(await QueryAsync("kex"), Does.Contain(kex), "this OpenSSH client implements the method");
        var log = await RunVerboseAsync("-o", $"KexAlgorithms={kex}");
        // Whole lines: curve25519-sha256 is a prefix of curve25519-sha256@libssh.org.
        Assert.That(Lines(log), Does.Contain($"debug1: kex: algorithm: {kex}"), log);
    }

    [Test]
    public async Task Host_key_algorithm_ed25519_the_proxys_only_host_key()
    {
        Assert.That(await QueryAsync("HostKeyAlgorithms"), Does.Contain("ssh-ed25519"));
        var log = await RunVerboseAsync("-o", "HostKeyAlgorithms=ssh-ed25519");
        Assert.That(log, Does.Contain("kex: host key algorithm: ssh-ed25519"));
        Assert.That(log, Does.Contain($"Server host key: ssh-ed25519 {Proxy.HostKeyFingerprint}"));
    }

    [Test]
    public async Task A_host_key_algorithm_the_proxy_has_no_key_for_is_refused_at_key_exchange()
    {
        // The counterpart of the test above: forcing a type the proxy has no key of fails, so the assertion there means something.
        var ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptionsWithLogLevel("INFO"), "-o", "HostKeyAlgorithms=ecdsa-sha2-nistp256",
            $"{SshProxyInstance.UserName}@127.0.0.1", "true"], timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("no matching host key type found"));
    }

    [TestCaseSource(nameof(CipherCases))]
    public async Task Cipher_and_mac(string cipher, string? mac)
    {
        Assert.That(await QueryAsync("cipher"), Does.Contain(cipher));
        var forced = new List<string> { "-o", $"Ciphers={cipher}" };
        if (mac is not null)
        {
            Assert.That(await QueryAsync("mac"), Does.Contain(mac));
            forced.AddRange(["-o", $"MACs={mac}"]);
        }

        // A megabyte up and back (packets of every size up to the maximum), not just a line: both directions' protection works.
        var input = Path.Combine(_folder.FullName, $"{cipher}-{mac}.bin");
        var expected = SshBulkTransferTests.WriteRandomFile(input, 1 << 20);
        var arguments = Proxy.SshArguments(forced, "cat", Proxy.SshOptionsWithLogLevel("DEBUG1"));
        var result = await ExternalProcess.RunAsync("bash", ["-c", $"set -o pipefail; {ShellQuoting.Join(arguments)} < {ShellQuoting.Quote(input)} | sha256sum"],
            timeout: TimeSpan.FromSeconds(60));
        File.Delete(input);
        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        Assert.That(SshBulkTransferTests.Sha256SumOf(result), Is.EqualTo(expected));

        // An AEAD cipher authenticates by itself: ssh prints the MAC as <implicit>.
        var expectedMac = mac ?? "<implicit>";
        Assert.That(result.StandardError, Does.Contain($"kex: server->client cipher: {cipher} MAC: {expectedMac} compression: none"));
        Assert.That(result.StandardError, Does.Contain($"kex: client->server cipher: {cipher} MAC: {expectedMac} compression: none"));
    }
}
