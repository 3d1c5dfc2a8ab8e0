using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Remote forwarding (ssh -R) through the proxy: the client's "tcpip-forward" is relayed to the target's sshd when a
/// rule allows the listening address, the target's connections come back as "forwarded-tcpip" channels to the client,
/// a port the target picks reaches the client, a cancel stops the listening; agent forwarding is relayed when a rule
/// allows it (X11: <see cref="SshX11ForwardingTests"/>). Everything is recorded.
/// </summary>
[TestFixture]
public sealed partial class SshRemoteForwardingTests : RecordedSshProxyFixture
{
    private readonly LoopbackTcpServer _echo = LoopbackTcpServer.Echo();
    private int _deniedPort;

    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd)
    {
        _deniedPort = LocalPostgresCluster.FreeTcpPort();
        return Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
        [
            new ChannelRule("no-denied-port", ChannelAction.Block) { Destinations = [new DestinationPattern("*", (uint)_deniedPort)] },
            new ChannelRule("alice-listens-on-loopback", ChannelAction.Allow)
            {
                Users = [SshProxyInstance.UserName],
                Channels = [ChannelPolicy.TcpipForward],
                Destinations = [new DestinationPattern("localhost", null), new DestinationPattern("127.0.0.1", null)],
            },
            new ChannelRule("alice-agent", ChannelAction.Allow)
            {
                Users = [SshProxyInstance.UserName],
                Channels = [ChannelPolicy.Agent],
            },
        ]));
    }

    [OneTimeTearDown]
    public async Task StopEchoAsync() => await _echo.DisposeAsync();

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Test]
    public async Task The_targets_connection_to_a_remote_forward_reaches_the_client_side_and_is_recorded()
    {
        var listenPort = LocalPostgresCluster.FreeTcpPort();
        // The remote command talks to the forward from the target host, through the proxy, to the echo server beside ssh.
        var command = $"exec 3<>/dev/tcp/127.0.0.1/{Port(listenPort)}; printf 'back through -R\\n' >&3; head -n 1 <&3";
        ExternalProcess.Result ssh = null!;
        var records = await RecordsOfNewSessionAsync(async () => ssh = await Proxy.RunSshAsync(command,
            ["-o", "ExitOnForwardFailure=yes", "-R", $"{Port(listenPort)}:127.0.0.1:{Port(_echo.Port)}"]));

        Assert.That(ssh.ExitCode, Is.Zero, ssh.Combined);
        Assert.That(ssh.StandardOutput, Is.EqualTo("back through -R\n"));
        var request = records.Single(r => r.EventType == "global-request").Fields!;
        Assert.That((request["request"]!.GetValue<string>(), request["address"]!.GetValue<string>(), request["port"]!.GetValue<uint>()),
            Is.EqualTo(("tcpip-forward", "localhost", (uint)listenPort)));
        Assert.That(request["rule"]!.GetValue<string>(), Is.EqualTo("alice-listens-on-loopback"));
        Assert.That(request["refused"], Is.Null);
        Assert.That(records.Single(r => r.EventType == "global-reply").Fields!["success"]!.GetValue<bool>(), Is.True);
        var open = records.Single(r => r.EventType == "channel-open" && r.Fields!["type"]!.GetValue<string>() == "forwarded-tcpip").Fields!;
        Assert.That((open["from"]!.GetValue<string>(), open["host"]!.GetValue<string>(), open["port"]!.GetValue<uint>()),
            Is.EqualTo(("server", "localhost", (uint)listenPort)));
        Assert.That(open["originator"]!.GetValue<string>(), Does.StartWith("127.0.0.1:"));
        var channel = open["channel"]!.GetValue<uint>();
        var data = records.Where(r => r.Type == RecordType.Data && ChannelOf(r) == channel).Select(r => Encoding.UTF8.GetString(r.Data.Span)).ToList();
        Assert.That(data.Count(d => d.EndsWith("back through -R\n", StringComparison.Ordinal)), Is.EqualTo(2), "recorded each way on the forwarded channel");
    }

    [Test]
    public async Task A_port_the_target_picks_is_passed_back_to_the_client_and_carries_connections()
    {
        var arguments = Proxy.SshOptionsWithLogLevel("INFO").Concat(["-N", "-o", "ExitOnForwardFailure=yes", "-R", $"0:127.0.0.1:{Port(_echo.Port)}",
            $"{SshProxyInstance.UserName}@127.0.0.1"]);
        var info = new ProcessStartInfo("ssh", arguments) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        using var ssh = Process.Start(info)!;
        try
        {
            // "Allocated port N for remote forward to 127.0.0.1:P": ssh learns N from the target's reply, relayed.
            var allocated = await ReadAllocatedPortAsync(ssh.StandardError).WaitAsync(TimeSpan.FromSeconds(30));
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", allocated);
            var stream = client.GetStream();
            await stream.WriteAsync("picked by the target\n"u8.ToArray());
            var buffer = new byte[64];
            var read = 0;
            while (read < 21)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.That(n, Is.Positive, "the connection closed before the echo came back");
                read += n;
            }

            Assert.That(Encoding.UTF8.GetString(buffer, 0, read), Is.EqualTo("picked by the target\n"));
        }
        finally
        {
            ssh.Kill();
            await ssh.WaitForExitAsync();
        }
    }

    private static async Task<int> ReadAllocatedPortAsync(StreamReader standardError)
    {
        while (await standardError.ReadLineAsync() is { } line)
        {
            if (AllocatedPort().Match(line) is { Success: true } match)
            {
                return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }

        throw new AssertionException("ssh ended without announcing the port the target allocated");
    }

    [GeneratedRegex(@"Allocated port (\d+) for remote forward")]
    private static partial Regex AllocatedPort();

    [Test]
    public async Task A_listening_port_a_block_rule_names_is_refused_by_the_proxy_and_recorded()
    {
        ExternalProcess.Result ssh = null!;
        var records = await RecordsOfNewSessionAsync(async () => ssh = await Proxy.RunSshAsync("echo should not run",
            ["-o", "ExitOnForwardFailure=yes", "-R", $"{Port(_deniedPort)}:127.0.0.1:{Port(_echo.Port)}"]));

        Assert.That(ssh.ExitCode, Is.EqualTo(255), ssh.Combined);
        Assert.That(ssh.StandardError, Does.Contain($"remote port forwarding failed for listen port {Port(_deniedPort)}"));
        Assert.That(ssh.StandardOutput, Is.Empty);
        var request = records.Single(r => r.EventType == "global-request").Fields!;
        Assert.That(request["refused"]!.GetValue<string>(), Does.Contain("rule \"no-denied-port\""));
        Assert.That(records.Where(r => r.EventType == "global-reply"), Is.Empty, "the target was never asked");
    }

    [Test]
    public async Task Cancelling_a_remote_forward_through_a_control_master_stops_the_target_listening()
    {
        var listenPort = LocalPostgresCluster.FreeTcpPort();
        var control = Path.Combine(Proxy.Directory, $"ctl-{Guid.NewGuid():N}"[..16]);
        var options = Proxy.SshOptions().Concat(["-S", control]).ToArray();
        var login = $"{SshProxyInstance.UserName}@127.0.0.1";
        var forward = $"{Port(listenPort)}:127.0.0.1:{Port(_echo.Port)}";
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            // The master goes to the background once logged in; its output goes nowhere so this call returns.
            var master = await ExternalProcess.RunAsync("sh", ["-c", $"ssh {ShellQuoting.Join(options)} -M -f -N {login} >/dev/null 2>&1"],
                timeout: TimeSpan.FromSeconds(60));
            Assert.That(master.ExitCode, Is.Zero, master.Combined);
            try
            {
                var added = await ExternalProcess.RunAsync("ssh", [.. options, "-O", "forward", "-R", forward, login], timeout: TimeSpan.FromSeconds(30));
                Assert.That(added.ExitCode, Is.Zero, added.Combined);
                Assert.That(await EchoesThroughAsync(listenPort), Is.True, "the forward carries a connection");

                var cancelled = await ExternalProcess.RunAsync("ssh", [.. options, "-O", "cancel", "-R", forward, login], timeout: TimeSpan.FromSeconds(30));
                Assert.That(cancelled.ExitCode, Is.Zero, cancelled.Combined);
                Assert.That(await Poll.UntilAsync(async () => !await EchoesThroughAsync(listenPort), TimeSpan.FromSeconds(10)), Is.True,
                    "the target still listens after the cancel");
            }
            finally
            {
                await ExternalProcess.RunAsync("ssh", [.. options, "-O", "exit", login], timeout: TimeSpan.FromSeconds(30));
            }
        });

        var requests = records.Where(r => r.EventType == "global-request").Select(r => r.Fields!["request"]!.GetValue<string>()).ToList();
        Assert.That(requests, Is.EqualTo(new[] { "tcpip-forward", "cancel-tcpip-forward" }));
        Assert.That(records.Where(r => r.EventType == "global-request").Select(r => r.Fields!["refused"]), Is.All.Null);
        // OpenSSH asks for no reply to a cancel; the forward's own reply is the only one.
        var replies = records.Where(r => r.EventType == "global-reply").Select(r => (r.Fields!["request"]!.GetValue<string>(), r.Fields!["success"]!.GetValue<bool>()));
        Assert.That(replies, Is.EqualTo(new[] { ("tcpip-forward", true) }));
    }

    /// <summary>Whether a connection to the target-side port gets its bytes echoed by the server beside the client.</summary>
    private static async Task<bool> EchoesThroughAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            var stream = client.GetStream();
            await stream.WriteAsync("x"u8.ToArray());
            var buffer = new byte[1];
            return await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) == 1 && buffer[0] == (byte)'x';
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            // Refused, or reset by a listener on its way out.
            return false;
        }
    }

    [Test]
    public async Task Agent_forwarding_a_rule_allows_lets_the_target_use_the_clients_agent()
    {
        var keyFile = Path.Combine(Proxy.Directory, $"agent-key-{Guid.NewGuid():N}"[..20]);
        await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "key-in-the-clients-agent", "-f", keyFile]);
        var socket = Path.Combine(Proxy.Directory, $"agent-{Guid.NewGuid():N}"[..14]);
        using var agent = Process.Start(new ProcessStartInfo("ssh-agent", ["-D", "-a", socket]) { RedirectStandardOutput = true })!;
        try
        {
            Assert.That(await Poll.UntilAsync(() => Task.FromResult(File.Exists(socket)), TimeSpan.FromSeconds(10)), Is.True, "ssh-agent did not start");
            var environment = new Dictionary<string, string> { ["SSH_AUTH_SOCK"] = socket };
            var added = await ExternalProcess.RunAsync("ssh-add", [keyFile], environment);
            Assert.That(added.ExitCode, Is.Zero, added.Combined);

            ExternalProcess.Result ssh = null!;
            var records = await RecordsOfNewSessionAsync(async () => ssh = await ExternalProcess.RunAsync("ssh",
                [.. Proxy.SshOptions(), "-A", $"{SshProxyInstance.UserName}@127.0.0.1", "ssh-add -l"], environment, timeout: TimeSpan.FromSeconds(60)));

            Assert.That(ssh.ExitCode, Is.Zero, ssh.Combined);
            Assert.That(ssh.StandardOutput, Does.Contain("key-in-the-clients-agent"), "the target listed the key held by the client's agent");
            var request = records.Single(r => r.EventType == "channel-request" && r.Fields!["request"]!.GetValue<string>() == "auth-agent-req@openssh.com").Fields!;
            Assert.That(request["refused"], Is.Null);
            Assert.That(records.Count(r => r.EventType == "channel-open" && r.Fields!["type"]!.GetValue<string>() == "auth-agent@openssh.com"
                && r.Fields!["from"]!.GetValue<string>() == "server"), Is.EqualTo(1));
        }
        finally
        {
            agent.Kill();
            await agent.WaitForExitAsync();
        }
    }

    private static uint ChannelOf(SessionRecord record) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(record.Data.Span[1..]);
}
