using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;
using Renci.SshNet;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// SSH.NET as the client of the proxy: commands with the password and with alice's key (exit status, stdout and
/// stderr apart), an interactive shell stream, and two commands at once on one connection (two channels).
/// </summary>
[TestFixture]
public sealed class SshNetClientTests : SshProxyFixture
{
    /// <summary>A client that trusts only the proxy's host key (SSH.NET gives the SHA256 fingerprint without its prefix).</summary>
    private SshClient Client(params AuthenticationMethod[] methods)
    {
        var client = new SshClient(new ConnectionInfo("127.0.0.1", Proxy.Port, SshProxyInstance.UserName, methods) { Timeout = TimeSpan.FromSeconds(20) });
        var expected = Proxy.HostKeyFingerprint["SHA256:".Length..];
        client.HostKeyReceived += (_, e) => e.CanTrust = e.FingerPrintSHA256 == expected;
        return client;
    }

    private SshClient PasswordClient() => Client(new PasswordAuthenticationMethod(SshProxyInstance.UserName, SshProxyInstance.UserPassword));

    private SshClient KeyClient() => Client(new PrivateKeyAuthenticationMethod(SshProxyInstance.UserName, new PrivateKeyFile(Proxy.ClientKeyFile)));

    private static void AssertCommand(SshClient client)
    {
        using var command = client.RunCommand("echo out-$((2+3)); echo err-$((3+4)) >&2; exit 9");
        Assert.That(command.ExitStatus, Is.EqualTo(9));
        Assert.That(command.Result, Is.EqualTo("out-5\n"));
        Assert.That(command.Error, Is.EqualTo("err-7\n"));
    }

    [Test]
    public void RunCommand_with_the_password()
    {
        using var client = PasswordClient();
        client.Connect();
        AssertCommand(client);
    }

    [Test]
    public void RunCommand_with_the_key()
    {
        using var client = KeyClient();
        client.Connect();
        AssertCommand(client);
        using var whoami = client.RunCommand("id -un");
        Assert.That(whoami.Result.Trim(), Is.EqualTo(LocalSshd.UserName));
    }

    [Test]
    public void The_host_key_is_checked_by_the_client()
    {
        // The counterpart of the callbacks above: a client that trusts another fingerprint does not get in.
        using var client = new SshClient("127.0.0.1", Proxy.Port, SshProxyInstance.UserName, SshProxyInstance.UserPassword);
        client.HostKeyReceived += (_, e) => e.CanTrust = e.FingerPrintSHA256 == "uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
        Assert.Throws<Renci.SshNet.Common.SshConnectionException>(client.Connect);
    }

    [Test]
    public void A_shell_stream_runs_a_typed_command()
    {
        using var client = KeyClient();
        client.Connect();
        using var shell = client.CreateShellStream("xterm", 80, 24, 0, 0, 4096);
        // The output (shell-stream-42) is not in the typed text ($((6*7))): only the shell on the target makes it.
        shell.WriteLine("echo shell-stream-$((6*7)); stty size");
        Assert.That(shell.Expect("shell-stream-42", TimeSpan.FromSeconds(20)), Is.Not.Null, "the command's output");
        Assert.That(shell.Expect("24 80", TimeSpan.FromSeconds(20)), Is.Not.Null, "the pty-req size");
        shell.WriteLine("exit");
    }

    [Test]
    public async Task Two_commands_run_at_once_on_one_connection()
    {
        using var client = KeyClient();
        client.Connect();
        var fifo = $"/tmp/hoopproxy-fifo-{Guid.NewGuid():N}";
        using (var make = client.RunCommand($"mkfifo {fifo}"))
        {
            Assert.That(make.ExitStatus, Is.Zero, make.Error);
        }

        try
        {
            // Each command blocks until the other has opened the fifo: they finish only if both channels are open together.
            using var writer = client.CreateCommand($"echo through-the-fifo > {fifo}; echo writer-done");
            using var reader = client.CreateCommand($"cat {fifo}");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var both = Task.WhenAll(writer.ExecuteAsync(timeout.Token), reader.ExecuteAsync(timeout.Token));
            await both;
            Assert.That((writer.ExitStatus, writer.Result), Is.EqualTo(((int?)0, "writer-done\n")));
            Assert.That((reader.ExitStatus, reader.Result), Is.EqualTo(((int?)0, "through-the-fifo\n")));
        }
        finally
        {
            using var remove = client.RunCommand($"rm -f {fifo}");
        }
    }

    [Test]
    public async Task Sixteen_megabytes_of_command_output_arrive_unchanged()
    {
        using var client = KeyClient();
        client.Connect();
        const int size = 16 << 20;
        using var command = client.CreateCommand(
            $"set -e; f=$(mktemp); trap 'rm -f \"$f\"' EXIT; head -c {size} /dev/urandom > \"$f\"; sha256sum < \"$f\" | cut -d' ' -f1 >&2; cat \"$f\"");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var running = command.ExecuteAsync(timeout.Token);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long received = 0;
        int read;
        while ((read = await command.OutputStream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            received += read;
        }

        await running;
        Assert.That(command.ExitStatus, Is.Zero, command.Error);
        Assert.That(received, Is.EqualTo(size));
        Assert.That(Convert.ToHexStringLower(hash.GetHashAndReset()), Is.EqualTo(command.Error.Trim()));
    }
}
