using System.Globalization;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// A rule blocking <c>sftp</c>: the subsystem request is refused by the proxy (sftp and scp in its default mode fail
/// with the client's own message), recorded with the reason; scp -O is an exec, judged by the command rules instead.
/// </summary>
[TestFixture]
public sealed class SshSftpPolicyTests : RecordedSshProxyFixture
{
    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd) => Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
    [
        new ChannelRule("no-file-transfer-for-alice", ChannelAction.Block) { Users = [SshProxyInstance.UserName], Channels = [ChannelPolicy.Sftp] },
    ]));

    private List<string> ScpAndSftpOptions()
    {
        var options = Proxy.SshOptions().ToList();
        var port = options.IndexOf("-p");
        options.RemoveRange(port, 2);
        return ["-P", Proxy.Port.ToString(CultureInfo.InvariantCulture), .. options];
    }

    [Test]
    public async Task Sftp_and_scp_over_sftp_are_refused_and_recorded_while_scp_over_exec_is_judged_as_a_command()
    {
        var local = Path.Combine(Proxy.Directory, "upload.txt");
        await File.WriteAllTextAsync(local, "not to be copied\n");
        var remote = $"/tmp/hoopproxy-sftp-policy-{Guid.NewGuid():N}.txt";
        ExternalProcess.Result scp = null!;
        var records = await RecordsOfNewSessionAsync(async () => scp = await ExternalProcess.RunAsync("scp",
            [.. ScpAndSftpOptions(), local, $"{SshProxyInstance.UserName}@127.0.0.1:{remote}"], standardInput: "", timeout: TimeSpan.FromSeconds(60)));

        Assert.That(scp.ExitCode, Is.Not.Zero, scp.Combined);
        Assert.That(File.Exists(remote), Is.False, "the file was copied");
        var request = records.Single(r => r.EventType == "channel-request" && r.Fields!["request"]!.GetValue<string>() == "subsystem").Fields!;
        Assert.That(request["refused"]!.GetValue<string>(), Is.EqualTo("the sftp subsystem is not allowed: rule \"no-file-transfer-for-alice\""));

        var batch = Path.Combine(Proxy.Directory, "batch");
        await File.WriteAllTextAsync(batch, "ls /tmp\n");
        var sftp = await ExternalProcess.RunAsync("sftp", [.. ScpAndSftpOptions(), "-b", batch, $"{SshProxyInstance.UserName}@127.0.0.1"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(sftp.ExitCode, Is.Not.Zero, sftp.Combined);
        Assert.That(sftp.StandardError, Does.Contain("subsystem request failed"));

        var overExec = await ExternalProcess.RunAsync("scp", ["-O", .. ScpAndSftpOptions(), local, $"{SshProxyInstance.UserName}@127.0.0.1:{remote}"],
            standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(overExec.ExitCode, Is.Zero, overExec.Combined);
        Assert.That(await File.ReadAllTextAsync(remote), Is.EqualTo("not to be copied\n"), "scp -O is an exec no rule blocks");
        File.Delete(remote);
    }
}
