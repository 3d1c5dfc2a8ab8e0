using System.Buffers.Binary;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// Writes a classic libpcap file (https://www.tcpdump.org/manpages/pcap-savefile.5.html), version 2.4, little-endian,
/// microsecond timestamps — the format every capture tool reads (Wireshark, tcpdump, Zeek, scapy). Its link type is
/// LINKTYPE_RAW (101): each packet begins with its IPv4 or IPv6 header. Ethernet would need MAC addresses made up for
/// every packet, which say nothing an investigator can use; raw IP holds only what the recording knows.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    public const uint Magic = 0xA1B2C3D4;
    public const uint LinkTypeRaw = 101;
    public const uint SnapLength = 262144;

    private const int FileHeaderLength = 24;
    private const int PacketHeaderLength = 16;

    /// <summary>Consecutive records are small and many: buffered so stdout is not written a packet at a time.</summary>
    private readonly BufferedStream _output;

    private readonly byte[] _packetHeader = new byte[PacketHeaderLength];

    /// <summary>Where <see cref="WriteSegment"/> encodes; one for the whole file, however many conversations it holds.</summary>
    private readonly byte[] _packet = new byte[IpTcpPacket.MaxLength];

    public PcapWriter(Stream output)
    {
        _output = new BufferedStream(output, 1 << 16);
        Span<byte> header = stackalloc byte[FileHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0); // timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // accuracy, always 0
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeRaw);
        _output.Write(header);
    }

    /// <summary>One packet, whole (every packet here is shorter than the snap length).</summary>
    public void Write(DateTimeOffset at, ReadOnlySpan<byte> packet)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)packet.Length, SnapLength);
        var sinceEpoch = at - DateTimeOffset.UnixEpoch;
        BinaryPrimitives.WriteUInt32LittleEndian(_packetHeader, (uint)(sinceEpoch.Ticks / TimeSpan.TicksPerSecond));
        BinaryPrimitives.WriteUInt32LittleEndian(_packetHeader.AsSpan(4), (uint)(sinceEpoch.Ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond));
        BinaryPrimitives.WriteUInt32LittleEndian(_packetHeader.AsSpan(8), (uint)packet.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(_packetHeader.AsSpan(12), (uint)packet.Length);
        _output.Write(_packetHeader);
        _output.Write(packet);
    }

    /// <summary>One TCP segment in its IP packet.</summary>
    public void WriteSegment(DateTimeOffset at, in TcpSegment segment, ReadOnlySpan<byte> payload) =>
        Write(at, _packet.AsSpan(0, IpTcpPacket.Encode(_packet, segment, payload)));

    /// <summary>Writes what is buffered; the stream passed in stays open (its opener disposes it).</summary>
    public void Flush() => _output.Flush();

    public void Dispose() => _output.Flush();
}
