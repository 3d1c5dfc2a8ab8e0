using System.Net;
using HoopProxy.Host.Sessions.Ssh;
using NUnit.Framework;
using static HoopProxy.Tests.Unit.Sessions.CapturedSegment;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary>
/// One synthesized TCP conversation read back from the pcap it was written to: the file header, the handshake,
/// segmentation of large data, sequence and acknowledgement numbers that continue across segments and wrap, the
/// closing FINs, the RST, and checksums that hold for IPv4 and IPv6.
/// </summary>
public sealed class PcapConversationTests
{
    private static readonly DateTimeOffset Opened = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
    private static readonly TcpEndpoint Client = new(IPAddress.Parse("127.0.0.1"), 50000);
    private static readonly TcpEndpoint Server = new(IPAddress.Parse("198.18.0.1"), 5432);

    [Test]
    public void The_file_is_classic_pcap_of_raw_ip_and_keeps_each_packets_time_to_the_microsecond()
    {
        var capture = Write(Client, Server, 1, 2, c =>
        {
            c.Open(Opened);
            c.Send(TcpSide.Initiator, Opened.AddTicks(1_234_567), "x"u8);
        });

        Assert.That((capture.Magic, capture.VersionMajor, capture.VersionMinor, capture.SnapLength, capture.LinkType),
            Is.EqualTo((0xA1B2C3D4u, (ushort)2, (ushort)4, 262144u, 101u)));
        Assert.That(capture.Segments.Select(s => s.At), Is.EqualTo(new[] { Opened, Opened, Opened, Opened.AddTicks(1_234_560), Opened.AddTicks(1_234_560) }));
    }

    [Test]
    public void Large_data_is_cut_into_segments_whose_numbers_continue_across_the_wrap_of_the_sequence_space()
    {
        var upload = Enumerable.Range(0, 150_000).Select(i => (byte)(i * 31)).ToArray();
        const uint initiatorIsn = 0xFFFF_0000; // 150 000 bytes later the sequence numbers have wrapped past 2^32
        const uint responderIsn = 77;
        var capture = Write(Client, Server, initiatorIsn, responderIsn, c =>
        {
            c.Open(Opened);
            Assert.That(c.Send(TcpSide.Initiator, Opened, upload), Is.True);
            Assert.That(c.Send(TcpSide.Responder, Opened, "ok"u8), Is.True);
        });

        var s = capture.Segments;
        Assert.That(s.Select(x => (x.Flags, x.Payload.Length)), Is.EqualTo(new (byte, int)[]
        {
            (Syn, 0), (Syn | Ack, 0), (Ack, 0),
            (Psh | Ack, 65495), (Psh | Ack, 65495), (Psh | Ack, 150_000 - 2 * 65495), (Ack, 0),
            (Psh | Ack, 2), (Ack, 0),
        }));
        static uint I(long offset) => unchecked((uint)(initiatorIsn + offset));
        static uint R(long offset) => responderIsn + (uint)offset;
        Assert.That(s.Select(x => (x.Sequence, x.Acknowledgment)), Is.EqualTo(new (uint, uint)[]
        {
            (I(0), 0), (R(0), I(1)), (I(1), R(1)),
            (I(1), R(1)), (I(1 + 65495), R(1)), (I(1 + 2 * 65495), R(1)),
            (R(1), I(1 + 150_000)),
            (R(1), I(1 + 150_000)),
            (I(1 + 150_000), R(3)),
        }));
        Assert.That(I(1 + 150_000), Is.LessThan(initiatorIsn), "the numbers wrapped");
        Assert.That(s.Skip(3).Take(3).SelectMany(x => x.Payload), Is.EqualTo(upload));
        Assert.That(s.All(x => x.IpChecksumValid && x.TcpChecksumValid), Is.True);
        Assert.That(s.Select(x => x.Source.Equals(new IPEndPoint(Client.Address, Client.Port))),
            Is.EqualTo(new[] { true, false, true, true, true, true, false, false, true }), "who sends each");
    }

    [Test]
    public void Both_syns_announce_the_mss_and_the_window_scale_and_no_other_segment_has_options()
    {
        var capture = Write(Client, Server, 1, 2, c =>
        {
            c.Open(Opened);
            c.Send(TcpSide.Responder, Opened, "hello"u8);
        });

        byte[] synOptions = [2, 4, 0xFF, 0xD7, 1, 3, 3, 7]; // MSS 65495, NOP, window scale 7
        Assert.That(capture.Segments.Select(s => s.TcpOptions), Is.EqualTo(new[] { synOptions, synOptions, [], [], [] }));
    }

    [Test]
    public void Each_side_finishes_once_with_a_fin_the_other_acknowledges_and_sends_nothing_after_it()
    {
        var capture = Write(Client, Server, 1000, 5000, c =>
        {
            c.Open(Opened);
            c.Send(TcpSide.Initiator, Opened, "abc"u8);
            c.Finish(TcpSide.Initiator, Opened);
            Assert.That(c.Send(TcpSide.Initiator, Opened, "late"u8), Is.False, "no data after this side's FIN");
            c.Finish(TcpSide.Initiator, Opened);
            Assert.That(c.IsOver, Is.False);
            c.Send(TcpSide.Responder, Opened, "de"u8);
            c.Finish(TcpSide.Responder, Opened);
            Assert.That(c.IsOver, Is.True);
            c.Reset(Opened);
        });

        Assert.That(capture.Segments.Skip(3).Select(s => (s.Flags, s.Sequence, s.Acknowledgment, s.Payload.Length)), Is.EqualTo(new (byte, uint, uint, int)[]
        {
            (Psh | Ack, 1001, 5001, 3), (Ack, 5001, 1004, 0),
            (Fin | Ack, 1004, 5001, 0), (Ack, 5001, 1005, 0),
            (Psh | Ack, 5001, 1005, 2), (Ack, 1005, 5003, 0),
            (Fin | Ack, 5003, 1005, 0), (Ack, 1005, 5004, 0),
        }), "no second FIN, no late data, no RST after both FINs");
    }

    [Test]
    public void A_connection_still_open_is_reset_by_its_initiator()
    {
        var capture = Write(Client, Server, 10, 20, c =>
        {
            c.Open(Opened);
            c.Send(TcpSide.Responder, Opened, "xy"u8);
            c.Reset(Opened.AddSeconds(1));
            Assert.That(c.Send(TcpSide.Responder, Opened.AddSeconds(2), "z"u8), Is.False);
        });

        var last = capture.Segments[^1];
        Assert.That((last.Flags, last.Sequence, last.Acknowledgment, last.At), Is.EqualTo(((byte)(Rst | Ack), 11u, 23u, Opened.AddSeconds(1))));
        Assert.That(last.Source, Is.EqualTo(new IPEndPoint(Client.Address, Client.Port)));
    }

    [Test]
    public void Ipv6_conversations_have_ipv6_headers_and_a_tcp_checksum_over_the_ipv6_pseudo_header()
    {
        var capture = Write(new TcpEndpoint(IPAddress.IPv6Loopback, 40000), new TcpEndpoint(IPAddress.Parse("2001:db8::5"), 22), 1, 2, c =>
        {
            c.Open(Opened);
            c.Send(TcpSide.Initiator, Opened, new byte[70_001]);
        });

        Assert.That(capture.Segments.Select(s => s.IpVersion).Distinct(), Is.EqualTo(new[] { 6 }));
        Assert.That(capture.Segments.All(s => s.TcpChecksumValid), Is.True);
        Assert.That(capture.Segments.Where(s => s.Payload.Length > 0).Select(s => s.Payload.Length), Is.EqualTo(new[] { 65495, 70_001 - 65495 }));
    }

    [Test]
    public void Ends_of_different_address_families_are_refused()
    {
        using var pcap = new PcapWriter(new MemoryStream());
        var conversation = new SyntheticTcpConversation(pcap, Client, new TcpEndpoint(IPAddress.IPv6Loopback, 22), 1, 2);
        Assert.That(() => conversation.Open(Opened), Throws.ArgumentException);
    }

    private static PcapTestCapture Write(TcpEndpoint initiator, TcpEndpoint responder, uint initiatorIsn, uint responderIsn, Action<SyntheticTcpConversation> act)
    {
        var output = new MemoryStream();
        using (var pcap = new PcapWriter(output))
        {
            act(new SyntheticTcpConversation(pcap, initiator, responder, initiatorIsn, responderIsn));
        }

        return PcapTestCapture.Read(output.ToArray());
    }
}
