using System.Buffers.Binary;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit big-endian words, as
/// the IPv4 header and TCP (over its pseudo-header) carry it. Add the parts in order, then take <see cref="Complement"/>.
/// </summary>
public struct InternetChecksum
{
    private ulong _sum;
    private bool _oddPending;

    /// <summary>
    /// Adds bytes as the continuation of what was added before. Words are summed four bytes at a time into 64 bits: the
    /// ones' complement sum is the same whichever word size carries it, because 2^16 ≡ 1 modulo 0xFFFF (RFC 1071 §2(B)).
    /// </summary>
    public void Add(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        if (_oddPending)
        {
            // The previous part ended halfway through a word: this byte is that word's low half.
            _sum += bytes[0];
            bytes = bytes[1..];
            _oddPending = false;
        }

        while (bytes.Length >= 4)
        {
            _sum += BinaryPrimitives.ReadUInt32BigEndian(bytes);
            bytes = bytes[4..];
        }

        if (bytes.Length >= 2)
        {
            _sum += BinaryPrimitives.ReadUInt16BigEndian(bytes);
            bytes = bytes[2..];
        }

        if (bytes.Length == 1)
        {
            // An odd last byte is the high half of a word padded with zero (RFC 1071 §4.1).
            _sum += (ulong)bytes[0] << 8;
            _oddPending = true;
        }
    }

    public void Add(ushort word) => _sum += word;

    public void Add(uint value) => _sum += value;

    /// <summary>The value for the checksum field: the complement of the folded sum.</summary>
    public readonly ushort Complement()
    {
        var sum = _sum;
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    /// <summary>The checksum of one contiguous block, e.g. an IPv4 header with its checksum field zero.</summary>
    public static ushort Of(ReadOnlySpan<byte> bytes)
    {
        var checksum = new InternetChecksum();
        checksum.Add(bytes);
        return checksum.Complement();
    }
}
