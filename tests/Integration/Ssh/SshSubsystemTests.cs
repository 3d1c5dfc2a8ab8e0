using System.Security.Cryptography;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;
using Renci.SshNet;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// The "subsystem" request through the proxy: SFTP (the target's internal-sftp) with OpenSSH's sftp and scp (which
/// speaks SFTP since OpenSSH 9.0) and with SSH.NET's SftpClient; an unknown subsystem is refused by the target.
/// </summary>
[TestFixture]
public sealed class SshSubsystemTests : SshProxyFixture
{
    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public void CreateFolders()
    {
        _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-sftp-");
    }

    [OneTimeTearDown]
    public void DeleteFolders()
    {
        _folder.Delete(recursive: true);
    }

    /// <summary>The fixture's ssh options without "-p PORT" (scp and sftp spell the port -P).</summary>
    private List<string> OptionsForScpAndSftp()
    {
        var options = Proxy.SshOptions().ToList();
        var port = options.IndexOf("-p");
        options.RemoveRange(port, 2);
        return ["-P", Proxy.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. options];
    }

    [Test]
    public async Task Scp_copies_a_file_up_and_back_down_unchanged()
    {
        var local = Path.Combine(_folder.FullName, "up.bin");
        var expected = SshBulkTransferTests.WriteRandomFile(local, 4 << 20);
        var remote = $"/tmp/hoopproxy-scp-{Guid.NewGuid():N}.bin";
        var back = Path.Combine(_folder.FullName, "down.bin");
        var up = await ExternalProcess.RunAsync("scp", [.. OptionsForScpAndSftp(), local, $"{SshProxyInstance.UserName}@127.0.0.1:{remote}"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(up.ExitCode, Is.Zero, up.StandardError);
        var down = await ExternalProcess.RunAsync("scp", [.. OptionsForScpAndSftp(), $"{SshProxyInstance.UserName}@127.0.0.1:{remote}", back],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(down.ExitCode, Is.Zero, down.StandardError);
        await Proxy.RunSshAsync($"rm -f {remote}");
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(back))), Is.EqualTo(expected));
    }

    [Test]
    public async Task Sftp_runs_a_batch_of_commands()
    {
        var batch = Path.Combine(_folder.FullName, "batch");
        var directory = $"/tmp/hoopproxy-sftp-{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(batch, $"mkdir {directory}\ncd {directory}\npwd\nls -la\nrmdir {directory}\n");
        var sftp = await ExternalProcess.RunAsync("sftp", [.. OptionsForScpAndSftp(), "-b", batch, $"{SshProxyInstance.UserName}@127.0.0.1"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(sftp.ExitCode, Is.Zero, sftp.Combined);
        Assert.That(sftp.StandardOutput, Does.Contain($"Remote working directory: {directory}"));
    }

    [Test]
    public void SshNet_SftpClient_uploads_lists_and_downloads()
    {
        using var client = new SftpClient(new ConnectionInfo("127.0.0.1", Proxy.Port, SshProxyInstance.UserName,
            new PrivateKeyAuthenticationMethod(SshProxyInstance.UserName, new PrivateKeyFile(Proxy.ClientKeyFile))));
        client.HostKeyReceived += (_, e) => e.CanTrust = "SHA256:" + e.FingerPrintSHA256 == Proxy.HostKeyFingerprint;
        client.Connect();
        var content = RandomNumberGenerator.GetBytes(1 << 20);
        var path = $"/tmp/hoopproxy-sshnet-{Guid.NewGuid():N}.bin";
        using (var upload = new MemoryStream(content))
        {
            client.UploadFile(upload, path);
        }

        try
        {
            var listed = client.ListDirectory("/tmp").SingleOrDefault(f => f.FullName == path);
            Assert.That(listed?.Length, Is.EqualTo(content.Length));
            using var download = new MemoryStream();
            client.DownloadFile(path, download);
            Assert.That(download.ToArray(), Is.EqualTo(content));
        }
        finally
        {
            client.DeleteFile(path);
        }
    }

    [Test]
    public async Task An_unknown_subsystem_is_refused_by_the_target()
    {
        var ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptionsWithLogLevel("INFO"), "-s", $"{SshProxyInstance.UserName}@127.0.0.1", "no-such-subsystem"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.Not.Zero);
        Assert.That(ssh.StandardError, Does.Contain("subsystem request failed"));
    }
}
