using System.Diagnostics;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// How a relayed connection ends when one side goes away without the usual goodbye: a client killed mid-command leaves
/// no session on the proxy and no process on the target; a target whose session process dies gives the client a
/// clean end. Also OpenSSH's connection sharing (ControlMaster): several sessions on one connection at once.
/// </summary>
[TestFixture]
public sealed class SshConnectionEndTests : SshProxyFixture
{
    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public void CreateFolders()
    {
        _folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-end-");
    }

    [OneTimeTearDown]
    public void DeleteFolders()
    {
        _folder.Delete(recursive: true);
    }

    private static async Task<bool> TargetRunsAsync(string pattern) =>
        (await ExternalProcess.RunAsync("pgrep", ["-u", LocalSshd.UserName, "-f", pattern])).ExitCode == 0;

    [Test]
    public async Task A_client_killed_mid_command_leaves_no_session_behind()
    {
        // A sleep no other test runs, to find it among the target account's processes. On a pty: sshd hangs up the
        // command when its connection (the proxy's) closes — without a pty OpenSSH leaves a command running.
        var marker = $"sleep 3{Random.Shared.Next(100, 999)}.5";
        var arguments = Proxy.SshArguments(["-tt"], marker);
        using var ssh = Process.Start(new ProcessStartInfo(arguments[0], arguments.Skip(1))
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        try
        {
            Assert.That(await Poll.UntilAsync(() => TargetRunsAsync(marker), TimeSpan.FromSeconds(20)), Is.True, "the command started on the target");
            Assert.That(Proxy.ActiveSessions, Is.EqualTo(1));
        }
        finally
        {
            ssh.Kill();
            await ssh.WaitForExitAsync();
        }

        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Proxy.ActiveSessions == 0), TimeSpan.FromSeconds(20)), Is.True,
            "the proxy ended the session when the client's connection closed");
        Assert.That(await Poll.UntilAsync(async () => !await TargetRunsAsync(marker), TimeSpan.FromSeconds(20)), Is.True,
            "the target's sshd hung up the command when the proxy closed its connection");
    }

    [Test]
    public async Task A_target_session_that_dies_ends_the_client_cleanly()
    {
        // The command waits until the client has seen its first line, then kills its own sshd session process (its
        // parent). The signal file is in /tmp itself: the target account cannot look into the test's private folders.
        var go = $"/tmp/hoopproxy-go-{Guid.NewGuid():N}";
        var arguments = Proxy.SshArguments(command: $"echo before; while [ ! -e {go} ]; do sleep 0.05; done; kill -9 $PPID; sleep 30");
        using var ssh = Process.Start(new ProcessStartInfo(arguments[0], arguments.Skip(1))
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        try
        {
            var stderr = ssh.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Assert.That(await ssh.StandardOutput.ReadLineAsync(timeout.Token), Is.EqualTo("before"));
            await File.WriteAllTextAsync(go, "");
            await ssh.WaitForExitAsync(timeout.Token);
            Assert.That(ssh.ExitCode, Is.EqualTo(255), await stderr);
            Assert.That(await stderr, Does.Contain("the target ended the session"));
        }
        finally
        {
            ssh.Kill();
            File.Delete(go);
        }

        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Proxy.ActiveSessions == 0), TimeSpan.FromSeconds(20)), Is.True);
    }

    [Test]
    public async Task Sessions_shared_over_one_connection_with_ControlMaster_run_at_once()
    {
        var control = Path.Combine(_folder.FullName, "cm");
        var master = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptions(), "-o", "ControlMaster=yes", "-o", $"ControlPath={control}",
            "-o", "ControlPersist=yes", "-N", "-f", $"{SshProxyInstance.UserName}@127.0.0.1"], standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(master.ExitCode, Is.Zero, master.StandardError);
        try
        {
            string[] shared = [.. Proxy.SshOptions(), "-o", "ControlMaster=no", "-o", $"ControlPath={control}"];
            var fifo = $"/tmp/hoopproxy-cm-{Guid.NewGuid():N}";
            var make = await ExternalProcess.RunAsync("ssh", [.. shared, $"{SshProxyInstance.UserName}@127.0.0.1", $"mkfifo {fifo}"], standardInput: "");
            Assert.That(make.ExitCode, Is.Zero, make.StandardError);
            // Each blocks until the other has the fifo open: both sessions are open together on the one connection.
            var writer = ExternalProcess.RunAsync("ssh", [.. shared, $"{SshProxyInstance.UserName}@127.0.0.1", $"echo shared-fifo > {fifo}; echo writer-done"],
                standardInput: "", timeout: TimeSpan.FromSeconds(60));
            var reader = ExternalProcess.RunAsync("ssh", [.. shared, $"{SshProxyInstance.UserName}@127.0.0.1", $"cat {fifo}; rm -f {fifo}"],
                standardInput: "", timeout: TimeSpan.FromSeconds(60));
            var results = await Task.WhenAll(writer, reader);
            Assert.That((results[0].ExitCode, results[0].StandardOutput), Is.EqualTo((0, "writer-done\n")), results[0].StandardError);
            Assert.That((results[1].ExitCode, results[1].StandardOutput), Is.EqualTo((0, "shared-fifo\n")), results[1].StandardError);
            Assert.That(Proxy.ActiveSessions, Is.EqualTo(1), "one connection carried all three sessions");
        }
        finally
        {
            await ExternalProcess.RunAsync("ssh", ["-o", $"ControlPath={control}", "-O", "exit", $"{SshProxyInstance.UserName}@127.0.0.1"]);
        }
    }
}
