using System.Buffers.Binary;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>"none" (RFC 4253 §6.3): packets before the first NEWKEYS travel in clear, aligned to 8 bytes, with no MAC.</summary>
internal sealed class NoPacketProtection() : PacketProtection("none", blockSize: 8, tagLength: 0, bytesNeededForLength: LengthFieldSize, alignmentCoversLengthField: true)
{
    private protected override uint DecryptPacketLength(uint sequenceNumber, ReadOnlySpan<byte> head) =>
        BinaryPrimitives.ReadUInt32BigEndian(head);

    private protected override bool OpenCore(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        packet.CopyTo(plaintext);
        return true;
    }

    private protected override void SealCore(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
    }

    protected override void DisposeKeys()
    {
    }
}
