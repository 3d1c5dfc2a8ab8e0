using System.Collections.Frozen;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// The proxy's own side as the client of the target: a target sshd restricted to one key exchange method, one
/// cipher/MAC and one host key algorithm (pinned by that key's fingerprint) leaves the proxy only that choice; a
/// megabyte goes through <c>cat</c> and back, and sshd's log shows what was negotiated. Every method, cipher/MAC pair
/// and host key algorithm the proxy offers is used once.
/// </summary>
[TestFixture]
public sealed class SshUpstreamAlgorithmTests
{
    private static readonly string[] KeyExchanges =
        ["curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512@openssh.com", "sntrup761x25519-sha512", "ecdh-sha2-nistp256"];

    private static readonly (string Cipher, string? Mac)[] Ciphers =
    [
        ("aes128-gcm@openssh.com", null), ("aes256-gcm@openssh.com", null), ("chacha20-poly1305@openssh.com", null),
        ("aes128-ctr", "hmac-sha2-256"), ("aes128-ctr", "hmac-sha2-512"), ("aes128-ctr", "hmac-sha2-256-etm@openssh.com"),
        ("aes128-ctr", "hmac-sha2-512-etm@openssh.com"), ("aes256-ctr", "hmac-sha2-256"), ("aes256-ctr", "hmac-sha2-512"),
        ("aes256-ctr", "hmac-sha2-256-etm@openssh.com"), ("aes256-ctr", "hmac-sha2-512-etm@openssh.com"),
    ];

    private static readonly (string Algorithm, string KeyType)[] HostKeys =
        [("ssh-ed25519", "ed25519"), ("ecdsa-sha2-nistp256", "ecdsa"), ("rsa-sha2-512", "rsa"), ("rsa-sha2-256", "rsa")];

    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-upstream-");

    [OneTimeTearDown]
    public void DeleteFolder() => _folder.Delete(recursive: true);

    private static IEnumerable<TestCaseData> Combinations()
    {
        // Every list walked once in the same number of cases (the longest list's).
        var count = Math.Max(KeyExchanges.Length, Math.Max(Ciphers.Length, HostKeys.Length));
        for (var i = 0; i < count; i++)
        {
            var (cipher, mac) = Ciphers[i % Ciphers.Length];
            var (hostKey, keyType) = HostKeys[i % HostKeys.Length];
            var kex = KeyExchanges[i % KeyExchanges.Length];
            yield return new TestCaseData(kex, cipher, mac, hostKey, keyType).SetArgDisplayNames(kex, cipher, mac ?? "implicit", hostKey);
        }
    }

    [TestCaseSource(nameof(Combinations))]
    public async Task The_proxy_logs_in_to_a_target_that_allows_only(string kex, string cipher, string? mac, string hostKey, string keyType)
    {
        // sshd takes the first value of a keyword: these lines come before LocalSshd's own.
        List<string> only = ["LogLevel DEBUG1", $"KexAlgorithms {kex}", $"Ciphers {cipher}", $"HostKeyAlgorithms {hostKey}"];
        if (mac is not null)
        {
            only.Add($"MACs {mac}");
        }

        await using var sshd = await LocalSshd.StartAsync(only);
        var target = await SshProxyInstance.TargetFor(sshd) with { HostKeyFingerprint = await sshd.HostKeyFingerprintAsync(keyType) };
        await using var proxy = await SshProxyInstance.StartAsync(sshd,
            options => options with { Targets = new Dictionary<string, SshTarget> { [SshProxyInstance.TargetName] = target }.ToFrozenDictionary() });

        var input = Path.Combine(_folder.FullName, "in.bin");
        var expected = SshBulkTransferTests.WriteRandomFile(input, 1 << 20);
        var result = await ExternalProcess.RunAsync("bash",
            ["-c", $"set -o pipefail; {ShellQuoting.Join(proxy.SshArguments(command: "cat"))} < {ShellQuoting.Quote(input)} | sha256sum"],
            timeout: TimeSpan.FromSeconds(60));
        File.Delete(input);
        var log = await File.ReadAllTextAsync(sshd.LogFile);
        Assert.That(result.ExitCode, Is.Zero, result.StandardError + "\n--- sshd ---\n" + log);
        Assert.That(SshBulkTransferTests.Sha256SumOf(result), Is.EqualTo(expected));

        // sshd's pre-authentication child marks its lines " [preauth]"; whole lines (one name may be the prefix of another).
        var lines = log.Split('\n', StringSplitOptions.TrimEntries).Select(l => l.EndsWith(" [preauth]", StringComparison.Ordinal) ? l[..^" [preauth]".Length] : l).ToList();
        var expectedMac = mac ?? "<implicit>";
        Assert.That(lines, Does.Contain($"debug1: kex: algorithm: {kex}"));
        Assert.That(lines, Does.Contain($"debug1: kex: host key algorithm: {hostKey}"));
        Assert.That(lines, Does.Contain($"debug1: kex: client->server cipher: {cipher} MAC: {expectedMac} compression: none"));
        Assert.That(lines, Does.Contain($"debug1: kex: server->client cipher: {cipher} MAC: {expectedMac} compression: none"));
        Assert.That(log, Does.Contain($"Accepted publickey for {LocalSshd.UserName}"));
    }
}
