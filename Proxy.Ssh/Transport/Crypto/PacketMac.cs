using System.Buffers.Binary;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// HMAC over <c>uint32 sequence_number || data</c> (RFC 4253 §6.4), with one <see cref="IncrementalHash"/> kept for the
/// life of the keys so that no packet allocates.
/// </summary>
internal sealed class PacketMac : IDisposable
{
    private readonly IncrementalHash _hmac;

    public PacketMac(HashAlgorithmName hash, ReadOnlySpan<byte> key, int length)
    {
        _hmac = IncrementalHash.CreateHMAC(hash, key);
        Length = length;
    }

    /// <summary>Bytes of MAC on the wire (the full HMAC output for the SHA-2 MACs of RFC 6668).</summary>
    public int Length { get; }

    public void Compute(uint sequenceNumber, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        Span<byte> sequence = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(sequence, sequenceNumber);
        _hmac.AppendData(sequence);
        _hmac.AppendData(data);
        var written = _hmac.GetHashAndReset(mac);
        if (written != Length)
        {
            throw new CryptographicException($"the HMAC produced {written} bytes, expected {Length}");
        }
    }

    /// <summary>Recomputes the MAC and compares it with <paramref name="received"/> in constant time.</summary>
    public bool Verify(uint sequenceNumber, ReadOnlySpan<byte> data, ReadOnlySpan<byte> received)
    {
        Span<byte> expected = stackalloc byte[64];
        Compute(sequenceNumber, data, expected[..Length]);
        return CryptographicOperations.FixedTimeEquals(expected[..Length], received);
    }

    public void Dispose() => _hmac.Dispose();
}
