using System.Buffers.Binary;
using System.Net.Sockets;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// Encodes one TCP segment inside an IPv4 (RFC 791) or IPv6 (RFC 8200) packet, as a raw-IP capture holds it, with the
/// IPv4 header checksum and the TCP checksum over its pseudo-header computed, so Wireshark validates both.
/// </summary>
public static class IpTcpPacket
{
    /// <summary>
    /// The most payload one segment carries: an IPv4 packet is at most 65535 bytes with its 20-byte header and the
    /// 20-byte TCP header. IPv6 could carry 20 bytes more; one limit for both keeps the segmentation alike.
    /// </summary>
    public const int MaxPayload = 65535 - Ipv4HeaderLength - TcpHeaderLength;

    /// <summary>The largest packet <see cref="Encode"/> writes: IPv6 header, TCP header with the SYN options, a full payload.</summary>
    public const int MaxLength = Ipv6HeaderLength + TcpHeaderLength + SynOptionsLength + MaxPayload;

    /// <summary>
    /// The receive window shift both ends announce on SYN. A recorded message can be 256 KiB, sent as several segments
    /// before the peer's acknowledgement; an unscaled 64 KiB window would make Wireshark report a full window for each.
    /// With the shift of 7 the window is 8 MiB.
    /// </summary>
    public const byte WindowScale = 7;

    private const int Ipv4HeaderLength = 20;
    private const int Ipv6HeaderLength = 40;
    private const int TcpHeaderLength = 20;

    /// <summary>MSS (kind 2, 4 bytes), NOP, window scale (kind 3, 3 bytes): a header length that stays a multiple of four.</summary>
    private const int SynOptionsLength = 8;

    private const byte ProtocolTcp = 6;
    private const byte TimeToLive = 64;

    /// <summary>Writes the packet into <paramref name="packet"/> (at least <see cref="MaxLength"/> bytes) and returns its length.</summary>
    public static int Encode(Span<byte> packet, in TcpSegment segment, ReadOnlySpan<byte> payload)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, MaxPayload);
        var ipv6 = segment.Source.Address.AddressFamily == AddressFamily.InterNetworkV6;
        if (ipv6 != (segment.Destination.Address.AddressFamily == AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"the ends of a segment have different address families: {segment.Source} and {segment.Destination}", nameof(segment));
        }

        var ipHeaderLength = ipv6 ? Ipv6HeaderLength : Ipv4HeaderLength;
        var tcpLength = WriteTcp(packet[ipHeaderLength..], segment, payload);
        var tcp = packet.Slice(ipHeaderLength, tcpLength);
        if (ipv6)
        {
            WriteIpv6Header(packet, segment, tcpLength);
        }
        else
        {
            WriteIpv4Header(packet, segment, tcpLength);
        }

        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], TcpChecksum(packet[..ipHeaderLength], ipv6, tcp));
        return ipHeaderLength + tcpLength;
    }

    private static int WriteTcp(Span<byte> tcp, in TcpSegment segment, ReadOnlySpan<byte> payload)
    {
        var syn = (segment.Flags & TcpFlags.Syn) != 0;
        var headerLength = TcpHeaderLength + (syn ? SynOptionsLength : 0);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, segment.Source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], segment.Destination.Port);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], segment.Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], (segment.Flags & TcpFlags.Ack) != 0 ? segment.Acknowledgment : 0);
        tcp[12] = (byte)(headerLength / 4 << 4);
        tcp[13] = (byte)segment.Flags;
        // The window of a SYN is never scaled (RFC 7323 §2.2); later ones are 0xFFFF << WindowScale.
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 0xFFFF);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], 0); // checksum, filled in once the IP header is written
        BinaryPrimitives.WriteUInt16BigEndian(tcp[18..], 0); // urgent pointer
        if (syn)
        {
            var options = tcp[TcpHeaderLength..];
            options[0] = 2;
            options[1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(options[2..], MaxPayload);
            options[4] = 1;
            options[5] = 3;
            options[6] = 3;
            options[7] = WindowScale;
        }

        payload.CopyTo(tcp[headerLength..]);
        return headerLength + payload.Length;
    }

    private static void WriteIpv4Header(Span<byte> header, in TcpSegment segment, int tcpLength)
    {
        header[0] = 0x45; // version 4, five 32-bit words
        header[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(Ipv4HeaderLength + tcpLength));
        // Identification 0 with Don't Fragment: an atomic datagram, whose identification has no meaning (RFC 6864 §4.1).
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], 0x4000);
        header[8] = TimeToLive;
        header[9] = ProtocolTcp;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], 0);
        segment.Source.Address.TryWriteBytes(header[12..16], out _);
        segment.Destination.Address.TryWriteBytes(header[16..20], out _);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Of(header[..Ipv4HeaderLength]));
    }

    private static void WriteIpv6Header(Span<byte> header, in TcpSegment segment, int tcpLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x6000_0000); // version 6, traffic class and flow label 0
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)tcpLength);
        header[6] = ProtocolTcp;
        header[7] = TimeToLive;
        segment.Source.Address.TryWriteBytes(header[8..24], out _);
        segment.Destination.Address.TryWriteBytes(header[24..40], out _);
    }

    /// <summary>
    /// Over the pseudo-header (addresses, protocol, TCP length: RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6), the
    /// header with its checksum field zero, and the payload.
    /// </summary>
    private static ushort TcpChecksum(ReadOnlySpan<byte> ipHeader, bool ipv6, ReadOnlySpan<byte> tcp)
    {
        var checksum = new InternetChecksum();
        checksum.Add(ipv6 ? ipHeader[8..40] : ipHeader[12..20]);
        checksum.Add((uint)tcp.Length);
        checksum.Add((uint)ProtocolTcp);
        checksum.Add(tcp);
        return checksum.Complement();
    }
}
