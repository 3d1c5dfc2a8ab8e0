using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Tests.Unit.Recording;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Sessions.CapturedSegment;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary>
/// <c>sessions export --format pcap</c> on sessions written through the real store the way the SSH proxy records them:
/// which channels become conversations, which end is which, the addresses and ports they get, what stderr says, and
/// the sessions it refuses.
/// </summary>
public sealed class PcapExportTests
{
    private RecordingFixture _fixture = null!;

    [SetUp]
    public void CreateFixture() => _fixture = new RecordingFixture();

    [TearDown]
    public void DeleteFixture() => _fixture.Dispose();

    [Test]
    public async Task Each_forwarded_channel_is_one_conversation_carrying_its_bytes_from_the_end_that_sent_them()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "tunnels");
            await ssh.OpenAsync(0);
            await ssh.ExecAsync(0, "uptime");
            await ssh.OutputAsync(0, "up 3 days");
            // ssh -L 5432:db.internal:5432: the client's side connected to a name the target resolved.
            await OpenDirectAsync(ssh, 1, "db.internal", 5432, "127.0.0.1:50000");
            await ClientSendsAsync(ssh, 1, "startup packet");
            await ServerSendsAsync(ssh, 1, "auth ok");
            await ssh.EventAsync("channel-eof", new JsonObject { ["channel"] = 1, ["from"] = "client" });
            await ServerSendsAsync(ssh, 1, "goodbye");
            await CloseAsync(ssh, 1, "server", "client");
            // ssh -R: 203.0.113.9 connected to the port the target listened on; it is what the target's side sent.
            await ssh.EventAsync("channel-open", new JsonObject
            {
                ["channel"] = 2, ["type"] = "forwarded-tcpip", ["from"] = "server", ["host"] = "127.0.0.1", ["port"] = 8080, ["originator"] = "203.0.113.9:41000",
            });
            await ServerSendsAsync(ssh, 2, "GET / HTTP/1.1\r\n\r\n");
            await ClientSendsAsync(ssh, 2, "HTTP/1.1 204 No Content\r\n\r\n");
            await CloseAsync(ssh, 2, "client", "server");
            await ssh.CloseAsync(0);
            await ssh.CompleteAsync();
        }

        var (code, capture, errors) = Export("tunnels");

        Assert.That(code, Is.Zero, errors);
        Assert.That(capture.Segments.All(s => s.IpChecksumValid && s.TcpChecksumValid), Is.True);
        var conversations = Conversations(capture);
        Assert.That(conversations, Has.Count.EqualTo(2), "the session channel is left out");

        var direct = conversations[0];
        Assert.That((direct.Initiator, direct.Responder), Is.EqualTo((IPEndPoint.Parse("127.0.0.1:50000"), IPEndPoint.Parse("198.18.0.1:5432"))));
        Assert.That(direct.FromInitiator, Is.EqualTo("startup packet"));
        Assert.That(direct.FromResponder, Is.EqualTo("auth okgoodbye"), "data after the other side's EOF still flows");
        Assert.That(direct.Flags, Is.EqualTo(new[] { Syn, Syn | Ack, Ack, Psh | Ack, Ack, Psh | Ack, Ack, Fin | Ack, Ack, Psh | Ack, Ack, Fin | Ack, Ack }));

        var reverse = conversations[1];
        Assert.That((reverse.Initiator, reverse.Responder), Is.EqualTo((IPEndPoint.Parse("203.0.113.9:41000"), IPEndPoint.Parse("127.0.0.1:8080"))));
        Assert.That(reverse.FromInitiator, Is.EqualTo("GET / HTTP/1.1\r\n\r\n"));
        Assert.That(reverse.FromResponder, Is.EqualTo("HTTP/1.1 204 No Content\r\n\r\n"));
        Assert.That(reverse.Flags.Where(f => (f & Fin) != 0).Count(), Is.EqualTo(2), "each side closed without an EOF: a FIN at its close");

        Assert.That(errors, Does.Contain("tcp.stream 0 = channel 1 (direct-tcpip): 127.0.0.1:50000 → 198.18.0.1:5432 (db.internal shown as 198.18.0.1)"));
        Assert.That(errors, Does.Contain("tcp.stream 1 = channel 2 (forwarded-tcpip): 203.0.113.9:41000 → 127.0.0.1:8080" + Environment.NewLine));
        Assert.That(errors, Does.Contain("session tunnels: 2 forwarded channels written as TCP conversations; 1 other channel (a terminal, command or sftp) left out"));
        Assert.That(errors, Does.EndWith("198.18.0.1\tdb.internal" + Environment.NewLine));
    }

    [Test]
    public async Task The_times_of_the_packets_are_the_times_of_the_records()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "timed");
            await OpenDirectAsync(ssh, 0, "10.0.0.5", 22, "127.0.0.1:41000");
            await Task.Delay(30);
            await ClientSendsAsync(ssh, 0, "SSH-2.0-OpenSSH_9.2\r\n");
            await ssh.CompleteAsync();
        }

        var (code, capture, errors) = Export("timed");

        Assert.That(code, Is.Zero, errors);
        var records = new RecordingReader(_fixture.SessionPath("timed")).ReadRecords().ToList();
        var opened = records.Single(r => r.EventType == "channel-open").Timestamp;
        var sent = records.Single(r => r.Type == RecordType.Data).Timestamp;
        var end = records.Single(r => r.Type == RecordType.End).Timestamp;
        static DateTimeOffset Micro(DateTimeOffset t) => new(t.Ticks / 10 * 10, t.Offset);
        Assert.That(capture.Segments.Select(s => (s.At, s.Flags)), Is.EqualTo(new[]
        {
            (Micro(opened), Syn), (Micro(opened), (byte)(Syn | Ack)), (Micro(opened), Ack),
            (Micro(sent), (byte)(Psh | Ack)), (Micro(sent), Ack),
            (Micro(end), (byte)(Rst | Ack)),
        }), "a channel the session ended with open is reset at the session's end");
        Assert.That(Micro(sent), Is.GreaterThan(Micro(opened)), "the records' times differ, so the check tells them apart");
    }

    [Test]
    public async Task Ipv6_literals_make_an_ipv6_conversation_and_repeated_ends_get_ports_of_their_own()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "ends");
            await OpenDirectAsync(ssh, 0, "::1", 22, "::1:40000");
            await OpenDirectAsync(ssh, 1, "127.0.0.1", 7, "127.0.0.1:65535"); // ssh -W reports this originator
            await OpenDirectAsync(ssh, 2, "127.0.0.1", 7, "127.0.0.1:65535");
            await OpenDirectAsync(ssh, 3, "::1", 7, "127.0.0.1:0");
            await OpenDirectAsync(ssh, 4, "localhost", 7, "::1:40001");
            foreach (var channel in new uint[] { 0, 1, 2, 3, 4 })
            {
                await ClientSendsAsync(ssh, channel, $"to channel {channel}");
            }

            await ssh.CompleteAsync();
        }

        var (code, capture, errors) = Export("ends");

        Assert.That(code, Is.Zero, errors);
        var conversations = Conversations(capture);
        Assert.That(conversations.Select(c => $"{c.Initiator} → {c.Responder}"), Is.EqualTo(new[]
        {
            "[::1]:40000 → [::1]:22",
            "127.0.0.1:65535 → 127.0.0.1:7",
            "127.0.0.1:49152 → 127.0.0.1:7",
            "[::ffff:127.0.0.1]:49153 → [::1]:7",
            "[::1]:40001 → [2001:2::1]:7",
        }));
        Assert.That(conversations.Select(c => c.FromInitiator), Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"to channel {i}")));
        Assert.That(capture.Segments.All(s => s.TcpChecksumValid && s.IpChecksumValid), Is.True);
        Assert.That(errors, Does.Contain("originator port 65535 shown as 49152: an earlier channel has the same ends"));
        Assert.That(errors, Does.Contain("originator port 0 shown as 49153"));
        Assert.That(errors, Does.Contain("2001:2::1\tlocalhost"));
    }

    [Test]
    public async Task Bytes_a_tcp_connection_could_not_have_carried_are_left_out_and_counted()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "odd");
            await OpenDirectAsync(ssh, 0, "10.0.0.5", 80, "127.0.0.1:41000");
            await ssh.EventAsync("channel-eof", new JsonObject { ["channel"] = 0, ["from"] = "client" });
            await ClientSendsAsync(ssh, 0, "after eof");
            await ssh.DataAsync(RecordDirection.ServerToClient, SshRecordingWriter.ChannelExtendedData(0, 1, Encoding.UTF8.GetBytes("stderr?")));
            await ServerSendsAsync(ssh, 0, "fine");
            await ssh.CompleteAsync();
        }

        var (code, capture, errors) = Export("odd");

        Assert.That(code, Is.Zero, errors);
        var conversation = Conversations(capture).Single();
        Assert.That((conversation.FromInitiator, conversation.FromResponder), Is.EqualTo(("", "fine")));
        Assert.That(errors, Does.Contain("warning: 16 bytes of forwarded channels are not in the capture"));
    }

    [Test]
    public async Task A_channel_the_target_refused_after_its_open_gets_no_conversation_and_is_named_on_stderr()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "refused");
            // The proxy records the open as it passes it on; the target's connect then fails.
            await OpenDirectAsync(ssh, 0, "127.0.0.1", 5433, "127.0.0.1:65535");
            await OpenDirectAsync(ssh, 1, "127.0.0.1", 5432, "127.0.0.1:40000");
            await ssh.EventAsync("channel-refused", new JsonObject
            {
                ["channel"] = 0, ["type"] = "direct-tcpip", ["from"] = "client", ["refused_by"] = "target", ["reason"] = "connect failed: Connection refused",
            });
            await ClientSendsAsync(ssh, 1, "hello");
            await CloseAsync(ssh, 1, "client", "server");
            await ssh.CompleteAsync();

            await using var only = await SshRecordingWriter.StartAsync(store, "all-refused");
            await OpenDirectAsync(only, 0, "127.0.0.1", 5433, "127.0.0.1:65535");
            await only.EventAsync("channel-refused", new JsonObject
            {
                ["channel"] = 0, ["type"] = "direct-tcpip", ["from"] = "client", ["refused_by"] = "target", ["reason"] = "connect failed: Connection refused",
            });
            await only.CompleteAsync();
        }

        var (code, capture, errors) = Export("refused");

        Assert.That(code, Is.Zero, errors);
        var conversation = Conversations(capture).Single();
        Assert.That((conversation.Initiator, conversation.FromInitiator), Is.EqualTo((IPEndPoint.Parse("127.0.0.1:40000"), "hello")));
        Assert.That(conversation.Flags.Any(f => (f & Rst) != 0), Is.False);
        Assert.That(errors, Does.Contain("channel 0 (direct-tcpip) to 127.0.0.1:5433: refused by the target (connect failed: Connection refused), not in the capture"));
        Assert.That(errors, Does.Contain("tcp.stream 0 = channel 1 (direct-tcpip): 127.0.0.1:40000 → 127.0.0.1:5432"));

        var (none, nothing, refusal) = Export("all-refused");
        Assert.That((none, nothing), Is.EqualTo((1, (PcapTestCapture?)null)));
        Assert.That(refusal, Does.Contain("has no forwarded channels (direct-tcpip or forwarded-tcpip: ssh -L, -D, -W, -J or -R) that connected (1 refused when opened)"));
    }

    [Test]
    public async Task A_session_without_forwarded_channels_and_a_postgres_session_are_refused_without_output()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "terminal");
            await ssh.OpenAsync(0);
            await ssh.ShellAsync(0);
            await ssh.OutputAsync(0, "$ ");
            await ssh.EventAsync("channel-refused", new JsonObject
            {
                ["channel"] = 1, ["type"] = "direct-tcpip", ["from"] = "client", ["refused_by"] = "proxy", ["host"] = "10.0.0.1", ["port"] = 22, ["originator"] = "127.0.0.1:1",
            });
            await ssh.CompleteAsync();
            await RecordingFixture.WriteShortSessionAsync(store, "pg");
        }

        foreach (var (id, message) in new[]
        {
            ("terminal", "session terminal has no forwarded channels (direct-tcpip or forwarded-tcpip: ssh -L, -D, -W, -J or -R); the pcap export writes forwarded TCP traffic — use replay or --format asciicast for terminals"),
            ("pg", "session pg is a postgres session; the pcap export takes SSH sessions with forwarded channels — use show"),
            ("nosuch", "no recorded session 'nosuch'"),
        })
        {
            var opened = false;
            using var errors = new StringWriter();
            var code = PcapExport.Run(_fixture.Options, new PcapRequest(id), () =>
            {
                opened = true;
                return new MemoryStream();
            }, errors);

            Assert.That(code, Is.EqualTo(1), id);
            Assert.That(opened, Is.False, $"{id}: nothing is written");
            Assert.That(errors.ToString(), Does.Contain(message));
        }
    }

    [Test]
    public async Task A_session_that_fails_verification_is_exported_only_when_asked_to_with_a_warning()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "altered");
            await OpenDirectAsync(ssh, 0, "10.0.0.5", 80, "127.0.0.1:41000");
            await ClientSendsAsync(ssh, 0, "GET /secret");
            await ssh.CompleteAsync();
        }

        var path = _fixture.SessionPath("altered");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.AsSpan().IndexOf("secret"u8)] = (byte)'S';
        await File.WriteAllBytesAsync(path, bytes);

        var (refused, nothing, refusal) = Export("altered");
        Assert.That(refused, Is.EqualTo(1));
        Assert.That(nothing, Is.Null, "no output opened");
        Assert.That(refusal, Does.Contain("session altered fails verification").And.Contain("refused").And.Contain("--unverified to export it anyway"));

        var (code, capture, warning) = Export("altered", unverified: true);
        Assert.That(code, Is.Zero, warning);
        Assert.That(warning, Does.StartWith("warning: session altered fails verification"));
        Assert.That(Conversations(capture).Single().FromInitiator, Is.EqualTo("GET /Secret"));
    }

    private static ValueTask OpenDirectAsync(SshRecordingWriter ssh, uint channel, string host, int port, string originator) =>
        ssh.EventAsync("channel-open", new JsonObject
        {
            ["channel"] = channel, ["type"] = "direct-tcpip", ["from"] = "client", ["host"] = host, ["port"] = port, ["originator"] = originator, ["rule"] = "tunnels",
        });

    private static ValueTask ClientSendsAsync(SshRecordingWriter ssh, uint channel, string text) =>
        ssh.DataAsync(RecordDirection.ClientToServer, SshRecordingWriter.ChannelData(channel, Encoding.UTF8.GetBytes(text)));

    private static ValueTask ServerSendsAsync(SshRecordingWriter ssh, uint channel, string text) => ssh.OutputAsync(channel, text);

    private static async ValueTask CloseAsync(SshRecordingWriter ssh, uint channel, string first, string second)
    {
        await ssh.EventAsync("channel-close", new JsonObject { ["channel"] = channel, ["from"] = first });
        await ssh.EventAsync("channel-close", new JsonObject { ["channel"] = channel, ["from"] = second });
    }

    /// <summary>The export's exit code, what it wrote (null when it opened no output), and its stderr.</summary>
    private (int Code, PcapTestCapture Capture, string Errors) Export(string sessionId, bool unverified = false)
    {
        MemoryStream? output = null;
        using var errors = new StringWriter();
        var code = PcapExport.Run(_fixture.Options, new PcapRequest(sessionId, unverified), () => output = new MemoryStream(), errors);
        return (code, output is null ? null! : PcapTestCapture.Read(output.ToArray()), errors.ToString());
    }

    /// <summary>The conversations in the order of their SYNs, each direction's payload joined after checking it continues the sequence.</summary>
    private static List<Conversation> Conversations(PcapTestCapture capture)
    {
        var conversations = new List<Conversation>();
        foreach (var group in capture.Segments.GroupBy(s => s.Conversation))
        {
            var segments = group.ToList();
            var syn = segments[0];
            Assert.That(syn.Flags, Is.EqualTo(Syn), "a conversation begins with its SYN");
            var next = new Dictionary<IPEndPoint, uint> { [syn.Source] = syn.Sequence + 1, [syn.Destination] = segments[1].Sequence + 1 };
            var payload = new Dictionary<IPEndPoint, StringBuilder> { [syn.Source] = new(), [syn.Destination] = new() };
            foreach (var segment in segments.Where(s => s.Payload.Length > 0))
            {
                Assert.That(segment.Sequence, Is.EqualTo(next[segment.Source]), "each segment continues its direction's sequence");
                next[segment.Source] += (uint)segment.Payload.Length;
                payload[segment.Source].Append(Encoding.UTF8.GetString(segment.Payload));
            }

            conversations.Add(new Conversation(syn.Source, syn.Destination, payload[syn.Source].ToString(), payload[syn.Destination].ToString(),
                segments.Select(s => s.Flags).ToArray()));
        }

        return conversations;
    }

    private sealed record Conversation(IPEndPoint Initiator, IPEndPoint Responder, string FromInitiator, string FromResponder, byte[] Flags);
}
