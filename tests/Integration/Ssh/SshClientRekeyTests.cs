using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// The OpenSSH client rekeys every megabyte (<c>-o RekeyLimit=1M</c>) during a 16 MB round trip through <c>cat</c>:
/// the proxy takes part in each key exchange while the channel stays open, and the bytes come back unchanged.
/// (Small on purpose: OpenSSH's client itself spends ~70 ms per rekey.)
/// </summary>
[TestFixture]
public sealed class SshClientRekeyTests : SshProxyFixture
{
    internal const int RoundTripSize = 16 << 20;

    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public void CreateFolders()
    {
        _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-rekey-");
    }

    [OneTimeTearDown]
    public void DeleteFolders()
    {
        _folder.Delete(recursive: true);
    }

    /// <summary>Lines of an OpenSSH log that equal <paramref name="line"/> once trimmed.</summary>
    internal static int CountLines(string log, string line) => log.Split('\n').Count(l => l.Trim() == line);

    /// <summary>Sends a random file through <c>ssh … cat</c> and back; returns the result of the pipeline and the file's checksum.</summary>
    internal static async Task<(ExternalProcess.Result Result, string Expected)> RoundTripAsync(string folder, IReadOnlyList<string> sshArguments)
    {
        var input = Path.Combine(folder, $"round-trip-{Guid.NewGuid():N}.bin");
        var expected = SshBulkTransferTests.WriteRandomFile(input, RoundTripSize);
        try
        {
            // ssh's log (stderr) goes to a file so that the pipeline's stdout is the checksum alone.
            var pipeline = $"set -o pipefail; {ShellQuoting.Join(sshArguments)} < {ShellQuoting.Quote(input)} | sha256sum";
            var result = await ExternalProcess.RunAsync("bash", ["-c", pipeline], timeout: TimeSpan.FromMinutes(3));
            return (result, expected);
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Test]
    public async Task Client_initiated_rekeys_every_megabyte_keep_a_16_MB_round_trip_intact()
    {
        var (result, expected) = await RoundTripAsync(_folder.FullName,
            Proxy.SshArguments(["-o", "RekeyLimit=1M"], "cat", Proxy.SshOptionsWithLogLevel("DEBUG1")));
        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        Assert.That(SshBulkTransferTests.Sha256SumOf(result), Is.EqualTo(expected));
        // The first key exchange plus a rekey per megabyte each way (16 MB up, 16 MB down): many more than one.
        var keyChanges = CountLines(result.StandardError, "debug1: SSH2_MSG_NEWKEYS received");
        await TestContext.Out.WriteLineAsync($"key changes: {keyChanges}");
        Assert.That(keyChanges, Is.GreaterThanOrEqualTo(9), "the client rekeyed during the transfer");
        Assert.That(CountLines(result.StandardError, "debug1: SSH2_MSG_NEWKEYS sent"), Is.EqualTo(keyChanges));
    }
}
