using System.Buffers.Binary;
using System.Net;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary>One TCP segment of a capture as the test reads it back; the checksums are the test's own computation.</summary>
internal sealed record CapturedSegment(
    DateTimeOffset At,
    int IpVersion,
    IPEndPoint Source,
    IPEndPoint Destination,
    uint Sequence,
    uint Acknowledgment,
    byte Flags,
    byte[] Payload,
    byte[] TcpOptions,
    bool IpChecksumValid,
    bool TcpChecksumValid)
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    /// <summary>The segment's ends ordered so both directions of one conversation give the same key.</summary>
    public (string, string) Conversation => string.CompareOrdinal(Source.ToString(), Destination.ToString()) < 0
        ? (Source.ToString(), Destination.ToString())
        : (Destination.ToString(), Source.ToString());
}

/// <summary>
/// Reads a classic pcap of raw IPv4/IPv6 + TCP packets back, written from the specifications (pcap-savefile(5),
/// RFC 791, RFC 8200, RFC 9293) without the export's code, so the export's encoding is checked rather than repeated.
/// </summary>
internal sealed class PcapTestCapture
{
    public required uint Magic { get; init; }
    public required ushort VersionMajor { get; init; }
    public required ushort VersionMinor { get; init; }
    public required uint SnapLength { get; init; }
    public required uint LinkType { get; init; }
    public required List<CapturedSegment> Segments { get; init; }

    public static PcapTestCapture Read(byte[] file)
    {
        var span = file.AsSpan();
        var capture = new PcapTestCapture
        {
            Magic = BinaryPrimitives.ReadUInt32LittleEndian(span),
            VersionMajor = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]),
            VersionMinor = BinaryPrimitives.ReadUInt16LittleEndian(span[6..]),
            SnapLength = BinaryPrimitives.ReadUInt32LittleEndian(span[16..]),
            LinkType = BinaryPrimitives.ReadUInt32LittleEndian(span[20..]),
            Segments = [],
        };
        var offset = 24;
        while (offset < file.Length)
        {
            var seconds = BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);
            var micros = BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 4)..]);
            var included = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 8)..]);
            var original = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 12)..]);
            if (included != original || offset + 16 + included > file.Length)
            {
                throw new InvalidDataException($"packet at {offset}: {included} of {original} bytes, file of {file.Length}");
            }

            var at = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10L);
            capture.Segments.Add(Segment(at, file.AsSpan(offset + 16, included)));
            offset += 16 + included;
        }

        return capture;
    }

    private static CapturedSegment Segment(DateTimeOffset at, ReadOnlySpan<byte> packet)
    {
        var version = packet[0] >> 4;
        int ipHeaderLength;
        byte[] source, destination;
        bool ipChecksumValid;
        int tcpLength;
        if (version == 4)
        {
            ipHeaderLength = (packet[0] & 0x0F) * 4;
            var totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
            if (totalLength != packet.Length || packet[9] != 6)
            {
                throw new InvalidDataException($"IPv4 total length {totalLength} for {packet.Length} bytes, protocol {packet[9]}");
            }

            source = packet[12..16].ToArray();
            destination = packet[16..20].ToArray();
            // A header with a correct checksum sums, checksum included, to 0xFFFF (RFC 1071 §1).
            ipChecksumValid = OnesComplementSum(packet[..ipHeaderLength]) == 0xFFFF;
            tcpLength = totalLength - ipHeaderLength;
        }
        else if (version == 6)
        {
            ipHeaderLength = 40;
            tcpLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
            if (tcpLength + 40 != packet.Length || packet[6] != 6)
            {
                throw new InvalidDataException($"IPv6 payload length {tcpLength} for {packet.Length} bytes, next header {packet[6]}");
            }

            source = packet[8..24].ToArray();
            destination = packet[24..40].ToArray();
            ipChecksumValid = true; // IPv6 has no header checksum
        }
        else
        {
            throw new InvalidDataException($"IP version {version}");
        }

        var tcp = packet[ipHeaderLength..];
        var pseudo = new List<byte>();
        pseudo.AddRange(source);
        pseudo.AddRange(destination);
        pseudo.AddRange([0, 6, (byte)(tcpLength >> 8), (byte)tcpLength]);
        var tcpChecksumValid = (OnesComplementSum([.. pseudo]) + OnesComplementSum(tcp)) % 0xFFFF == 0;
        var dataOffset = (tcp[12] >> 4) * 4;
        return new CapturedSegment(at, version,
            new IPEndPoint(new IPAddress(source), BinaryPrimitives.ReadUInt16BigEndian(tcp)),
            new IPEndPoint(new IPAddress(destination), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            tcp[13],
            tcp[dataOffset..].ToArray(),
            tcp[20..dataOffset].ToArray(),
            ipChecksumValid,
            tcpChecksumValid);
    }

    /// <summary>The plain RFC 1071 loop over 16-bit words, folded to 16 bits; an odd last byte is padded with zero.</summary>
    public static int OnesComplementSum(ReadOnlySpan<byte> bytes)
    {
        long sum = 0;
        for (var i = 0; i < bytes.Length; i += 2)
        {
            sum += (bytes[i] << 8) | (i + 1 < bytes.Length ? bytes[i + 1] : 0);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (int)sum;
    }
}
