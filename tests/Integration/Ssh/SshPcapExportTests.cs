using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// <c>hoopproxy sessions export --format pcap</c> on what the proxy really recorded: OpenSSH's ssh -W and -L through the
/// proxy to a TCP server the target's sshd connects to, exported by the hoopproxy executable, then read by tshark —
/// each direction's bytes in their conversation, every checksum good, nothing malformed or suspicious.
/// </summary>
[TestFixture]
public sealed class SshPcapExportTests : RecordedSshProxyFixture
{
    private const string Banner = "hello from the far end\n";
    private static readonly string Hoopproxy = Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");

    /// <summary>Greets, reads until the client's EOF, answers with what it read reversed, and closes: each direction differs.</summary>
    private readonly LoopbackTcpServer _reverser = LoopbackTcpServer.Serving(ReverseAsync);

    /// <summary>Reads one line and answers it in capitals, then closes (a shell's /dev/tcp cannot send an EOF alone).</summary>
    private readonly LoopbackTcpServer _shouter = LoopbackTcpServer.Serving(ShoutAsync);

    private string _config = null!;

    private int ReverserPort => _reverser.Port;

    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd) => Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
    [
        new ChannelRule("tunnels", ChannelAction.Allow)
        {
            Channels = [ChannelPolicy.DirectTcpip, ChannelPolicy.TcpipForward],
            Destinations = [new DestinationPattern("127.0.0.1", null), new DestinationPattern("localhost", null)],
        },
    ]));

    [OneTimeSetUp]
    public async Task WriteConfiguration()
    {
        _config = Path.Combine(Proxy.Directory, "pcap-export.json");
        await File.WriteAllTextAsync(_config, $$"""
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } },
              "Recording": { "Directory": "{{Store.Options.Directory}}", "SigningKeyFile": "{{Store.Options.SigningKeyFile}}" }
            }
            """);
    }

    [OneTimeTearDown]
    public async Task StopServersAsync()
    {
        await _reverser.DisposeAsync();
        await _shouter.DisposeAsync();
    }

    [Test]
    public async Task Stdio_forwarding_is_read_by_tshark_byte_for_byte_both_ways_with_good_checksums()
    {
        // 200 000 bytes: several windows' worth, in many messages (OpenSSH sends at most 32 KiB per message on a
        // forwarded channel, so segmentation above 65495 bytes is the unit tests' to check).
        var upload = string.Concat(Enumerable.Range(0, 10_000).Select(i => string.Create(CultureInfo.InvariantCulture, $"line {i:D5} of 20 bytes\n")[..20]));
        var expectedReply = Banner + new string(upload.Reverse().ToArray());
        ExternalProcess.Result ssh = null!;
        var session = (await NewSealedSessionsAsync(async () => ssh = await ExternalProcess.RunAsync("ssh",
            [.. Proxy.SshOptions(), "-W", $"127.0.0.1:{ReverserPort.ToString(CultureInfo.InvariantCulture)}", $"{SshProxyInstance.UserName}@127.0.0.1"],
            standardInput: upload, timeout: TimeSpan.FromSeconds(60)))).Single();
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput, Is.EqualTo(expectedReply), "the tunnel itself worked");

        var pcap = Path.Combine(Proxy.Directory, session.SessionId + ".pcap");
        var export = await HoopproxyAsync("sessions", "export", session.SessionId, "--format", "pcap", "-o", pcap);

        Assert.That(export.ExitCode, Is.Zero, export.Combined);
        Assert.That(export.StandardError, Does.Match(@"tcp\.stream 0 = channel \d+ \(direct-tcpip\): 127\.0\.0\.1:65535 → 127\.0\.0\.1:" + ReverserPort));
        var (initiator, responder) = await FollowAsync(pcap, stream: 0);
        Assert.That(Encoding.ASCII.GetString(initiator), Is.EqualTo(upload), "what ssh -W sent, from the originator");
        Assert.That(Encoding.ASCII.GetString(responder), Is.EqualTo(expectedReply), "what the server answered");
        await AssertCleanAsync(pcap);
    }

    [Test]
    public async Task Local_forwarding_of_two_connections_gives_two_conversations_each_with_its_own_bytes()
    {
        var localPort = LocalPostgresCluster.FreeTcpPort();
        var session = (await NewSealedSessionsAsync(async () =>
        {
            using var ssh = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ssh",
            [
                .. Proxy.SshOptions(), "-N", "-o", "ExitOnForwardFailure=yes",
                "-L", $"127.0.0.1:{localPort.ToString(CultureInfo.InvariantCulture)}:localhost:{ReverserPort.ToString(CultureInfo.InvariantCulture)}",
                $"{SshProxyInstance.UserName}@127.0.0.1",
            ]) { RedirectStandardError = true })!;
            try
            {
                foreach (var message in new[] { "first connection", "second connection" })
                {
                    Assert.That(await ExchangeAsync(localPort, message), Is.EqualTo(Banner + new string(message.Reverse().ToArray())));
                }
            }
            finally
            {
                ssh.Kill();
                await ssh.WaitForExitAsync();
            }
        })).Single();

        var pcap = Path.Combine(Proxy.Directory, session.SessionId + ".pcap");
        var export = await HoopproxyAsync("sessions", "export", session.SessionId, "--format", "pcap", "-o", pcap);

        Assert.That(export.ExitCode, Is.Zero, export.Combined);
        // The client named "localhost": the target resolved it, the capture shows the synthetic address it stands for.
        Assert.That(export.StandardError, Does.Contain("(localhost shown as 198.18.0.1)").And.Contain("198.18.0.1\tlocalhost"));
        var channels = Records(session).Where(r => r.EventType == "channel-open").Select(r => r.Fields!["channel"]!.GetValue<uint>()).ToList();
        Assert.That(channels, Has.Count.EqualTo(2));
        for (var stream = 0; stream < 2; stream++)
        {
            var message = stream == 0 ? "first connection" : "second connection";
            Assert.That(export.StandardError, Does.Contain($"tcp.stream {stream} = channel {channels[stream]} (direct-tcpip): 127.0.0.1:"));
            var (initiator, responder) = await FollowAsync(pcap, stream);
            Assert.That(Encoding.ASCII.GetString(initiator), Is.EqualTo(message));
            Assert.That(Encoding.ASCII.GetString(responder), Is.EqualTo(Banner + new string(message.Reverse().ToArray())));
        }

        var conversations = await TsharkAsync("-r", pcap, "-q", "-z", "conv,tcp");
        Assert.That(conversations.StandardOutput.Split('\n').Count(l => l.Contains(":" + ReverserPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)),
            Is.EqualTo(2), conversations.StandardOutput);
        await AssertCleanAsync(pcap);
    }

    [Test]
    public async Task Remote_forwarding_is_a_conversation_from_the_peer_that_connected_on_the_targets_side()
    {
        var listenPort = LocalPostgresCluster.FreeTcpPort();
        // On the target host a shell connects to the forward; the connection comes back through the proxy to the shouter.
        var command = $"exec 3<>/dev/tcp/127.0.0.1/{listenPort.ToString(CultureInfo.InvariantCulture)}; printf 'from the target side\\n' >&3; cat <&3";
        ExternalProcess.Result ssh = null!;
        var session = (await NewSealedSessionsAsync(async () => ssh = await Proxy.RunSshAsync(command,
            ["-o", "ExitOnForwardFailure=yes", "-R", $"{listenPort.ToString(CultureInfo.InvariantCulture)}:127.0.0.1:{_shouter.Port.ToString(CultureInfo.InvariantCulture)}"]))).Single();
        Assert.That(ssh.ExitCode, Is.Zero, ssh.Combined);
        Assert.That(ssh.StandardOutput, Is.EqualTo("heard: FROM THE TARGET SIDE\n"), "the tunnel itself worked");
        var open = Records(session).Single(r => r.EventType == "channel-open" && (string?)r.Fields!["type"] == "forwarded-tcpip").Fields!;
        var originator = IPEndPoint.Parse((string)open["originator"]!);

        var pcap = Path.Combine(Proxy.Directory, session.SessionId + ".pcap");
        var export = await HoopproxyAsync("sessions", "export", session.SessionId, "--format", "pcap", "-o", pcap);

        Assert.That(export.ExitCode, Is.Zero, export.Combined);
        // The target's sshd names the forward as the client asked for it: "localhost", a name.
        Assert.That(export.StandardError, Does.Contain($"tcp.stream 0 = channel {open["channel"]} (forwarded-tcpip): {originator} → 198.18.0.1:{listenPort.ToString(CultureInfo.InvariantCulture)} (localhost shown as 198.18.0.1)"));
        Assert.That(export.StandardError, Does.Contain("1 other channel (a terminal, command or sftp) left out"));
        var (initiator, responder) = await FollowAsync(pcap, stream: 0);
        Assert.That(Encoding.ASCII.GetString(initiator), Is.EqualTo("from the target side\n"), "what the shell on the target sent, from the originator");
        Assert.That(Encoding.ASCII.GetString(responder), Is.EqualTo("heard: FROM THE TARGET SIDE\n"), "what came back from beside the client");
        await AssertCleanAsync(pcap);
    }

    [Test]
    public async Task A_session_without_forwarded_channels_is_refused_and_leaves_no_file()
    {
        var session = (await NewSealedSessionsAsync(async () =>
            Assert.That((await Proxy.RunSshAsync("true")).ExitCode, Is.Zero))).Single();

        var pcap = Path.Combine(Proxy.Directory, session.SessionId + ".pcap");
        var export = await HoopproxyAsync("sessions", "export", session.SessionId, "--format", "pcap", "-o", pcap);

        Assert.That(export.ExitCode, Is.EqualTo(1), export.Combined);
        Assert.That(export.StandardError, Does.Contain($"session {session.SessionId} has no forwarded channels"));
        Assert.That(File.Exists(pcap), Is.False);
        var channelOption = await HoopproxyAsync("sessions", "export", session.SessionId, "--format", "pcap", "--channel", "0");
        Assert.That(channelOption.StandardError, Does.Contain("--channel and --input apply to --format asciicast only"));
    }

    [Test]
    public async Task A_forwarding_the_target_could_not_connect_is_no_conversation()
    {
        using var closed = new ClosedPort();
        var closedPort = closed.Port;
        var session = (await NewSealedSessionsAsync(async () =>
        {
            var ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptions(), "-W", $"localhost:{closedPort.ToString(CultureInfo.InvariantCulture)}",
                $"{SshProxyInstance.UserName}@127.0.0.1"], standardInput: "", timeout: TimeSpan.FromSeconds(60));
            Assert.That(ssh.ExitCode, Is.EqualTo(255), ssh.Combined);
        })).Single();
        Assert.That(Records(session).Select(r => r.EventType).Where(t => t is "channel-open" or "channel-refused"), Is.EqualTo(new[] { "channel-open", "channel-refused" }),
            "the open is recorded before the target refuses it");

        var export = await HoopproxyAsync("sessions", "export", session.SessionId, "--format", "pcap", "-o", Path.Combine(Proxy.Directory, "refused.pcap"));

        Assert.That(export.ExitCode, Is.EqualTo(1), export.Combined);
        Assert.That(export.StandardError, Does.Contain("that connected (1 refused when opened)"));
    }

    /// <summary>
    /// tshark with IPv4 and TCP checksum validation on finds no bad checksum, no malformed packet and no expert warning
    /// (a retransmission, an out-of-order or unseen segment, a reset); and it did check checksums.
    /// </summary>
    private static async Task AssertCleanAsync(string pcap)
    {
        string[] validate = ["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"];
        var problems = await TsharkAsync(["-r", pcap, .. validate, "-Y",
            "tcp.checksum.status != 1 || ip.checksum.status != 1 || _ws.malformed || _ws.expert.severity >= \"Warning\""]);
        Assert.That(problems.StandardOutput, Is.Empty, "packets tshark finds fault with");
        var good = await TsharkAsync(["-r", pcap, .. validate, "-Y", "tcp.checksum.status == 1 && ip.checksum.status == 1", "-T", "fields", "-e", "frame.number"]);
        var all = await TsharkAsync("-r", pcap, "-T", "fields", "-e", "frame.number");
        Assert.That(good.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(all.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length)
            .And.Length.GreaterThan(0), "every packet's checksums were validated as good");
    }

    /// <summary>
    /// <c>tshark -z follow,tcp,raw</c>: what each end of one conversation sent. Its first node is the end that sent the
    /// SYN; that node's data lines are flush left, the other's indented by a tab.
    /// </summary>
    private static async Task<(byte[] Initiator, byte[] Responder)> FollowAsync(string pcap, int stream)
    {
        var follow = await TsharkAsync("-r", pcap, "-q", "-z", $"follow,tcp,raw,{stream.ToString(CultureInfo.InvariantCulture)}");
        var lines = follow.StandardOutput.Split('\n');
        var data = lines.SkipWhile(l => !l.StartsWith("Node 1:", StringComparison.Ordinal)).Skip(1).TakeWhile(l => !l.StartsWith("====", StringComparison.Ordinal)).ToList();
        Assert.That(data, Is.Not.Empty, follow.Combined);
        var initiator = data.Where(l => !l.StartsWith('\t')).SelectMany(l => Convert.FromHexString(l.Trim())).ToArray();
        var responder = data.Where(l => l.StartsWith('\t')).SelectMany(l => Convert.FromHexString(l.Trim())).ToArray();
        return (initiator, responder);
    }

    private static async Task<ExternalProcess.Result> TsharkAsync(params string[] arguments)
    {
        var tshark = await ExternalProcess.RunAsync("tshark", arguments, timeout: TimeSpan.FromMinutes(1));
        Assert.That(tshark.ExitCode, Is.Zero, $"tshark {string.Join(' ', arguments)}: {tshark.StandardError}");
        return tshark;
    }

    private Task<ExternalProcess.Result> HoopproxyAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("dotnet", [Hoopproxy, .. arguments, "--config", _config], timeout: TimeSpan.FromMinutes(1));

    /// <summary>Through ssh -L: connects, sends, half-closes, and reads the answer to the end.</summary>
    private static async Task<string> ExchangeAsync(int port, string message)
    {
        using var client = new TcpClient();
        Assert.That(await Poll.UntilAsync(async () =>
        {
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20)), Is.True, "ssh -L listens");
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(message));
        client.Client.Shutdown(SocketShutdown.Send);
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer).WaitAsync(TimeSpan.FromSeconds(20));
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    private static async Task ReverseAsync(NetworkStream stream)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Banner));
        using var received = new MemoryStream();
        await stream.CopyToAsync(received);
        var reversed = received.ToArray();
        Array.Reverse(reversed);
        await stream.WriteAsync(reversed);
    }

    private static async Task ShoutAsync(NetworkStream stream)
    {
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        var line = await reader.ReadLineAsync();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"heard: {line?.ToUpperInvariant()}\n"));
    }
}
