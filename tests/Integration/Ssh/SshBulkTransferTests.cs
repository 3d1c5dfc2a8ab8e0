using System.Security.Cryptography;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// 100 MB of random bytes through the proxy with OpenSSH's ssh: up through stdin and back (<c>cat</c>), and down from a
/// file made on the target; the checksums on both ends agree (windows and backpressure end to end, nothing lost,
/// duplicated or reordered).
/// </summary>
[TestFixture]
public sealed class SshBulkTransferTests : SshProxyFixture
{
    private const int Size = 100_000_000;

    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public void CreateFolders()
    {
        _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-bulk-");
    }

    [OneTimeTearDown]
    public void DeleteFolders()
    {
        _folder.Delete(recursive: true);
    }

    /// <summary>Writes <paramref name="size"/> random bytes to a file and returns its SHA-256 as sha256sum prints it.</summary>
    internal static string WriteRandomFile(string path, int size)
    {
        using var file = File.Create(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[1 << 20];
        for (var left = size; left > 0; left -= chunk.Length)
        {
            var part = chunk.AsSpan(0, Math.Min(chunk.Length, left));
            RandomNumberGenerator.Fill(part);
            file.Write(part);
            hash.AppendData(part);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The first word of sha256sum's output line (the hash), from a pipeline's stdout.</summary>
    internal static string Sha256SumOf(ExternalProcess.Result result) => result.StandardOutput.Trim().Split(' ')[0];

    [Test]
    public async Task Hundred_megabytes_go_up_through_stdin_and_come_back_unchanged()
    {
        var input = Path.Combine(_folder.FullName, "up.bin");
        var expected = WriteRandomFile(input, Size);
        try
        {
            // bash feeds the file (no 100 MB string in this process) and hashes what comes back; pipefail keeps ssh's status.
            var pipeline = $"set -o pipefail; {ShellQuoting.Join(Proxy.SshArguments(command: "cat"))} < {ShellQuoting.Quote(input)} | sha256sum";
            var result = await ExternalProcess.RunAsync("bash", ["-c", pipeline], timeout: TimeSpan.FromMinutes(4));
            Assert.That(result.ExitCode, Is.Zero, result.StandardError);
            Assert.That(Sha256SumOf(result), Is.EqualTo(expected));
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Test]
    public async Task Hundred_megabytes_made_on_the_target_come_down_unchanged()
    {
        // The target makes the file, prints its checksum on stderr and sends it on stdout; this side hashes what arrives.
        var remote = $"set -e; f=$(mktemp); trap 'rm -f \"$f\"' EXIT; head -c {Size} /dev/urandom > \"$f\"; "
            + "echo \"target-sum $(sha256sum < \"$f\" | cut -d' ' -f1)\" >&2; cat \"$f\"";
        var pipeline = $"set -o pipefail; {ShellQuoting.Join(Proxy.SshArguments(command: remote))} | sha256sum";
        var result = await ExternalProcess.RunAsync("bash", ["-c", pipeline], timeout: TimeSpan.FromMinutes(4));
        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        var targetSum = result.StandardError.Split('\n').Single(l => l.StartsWith("target-sum ", StringComparison.Ordinal))["target-sum ".Length..].Trim();
        Assert.That(targetSum, Does.Match("^[0-9a-f]{64}$"));
        Assert.That(Sha256SumOf(result), Is.EqualTo(targetSum), result.StandardError);
    }
}
