using System.Buffers.Binary;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// aes128-ctr / aes256-ctr (RFC 4344) with an HMAC-SHA2 (RFC 6668), in either of the two ways SSH combines them:
/// <list type="bullet">
/// <item>plain (RFC 4253 §6): the whole packet, length included, is encrypted; the MAC covers
/// <c>sequence || plaintext packet</c>. The length is only known after decrypting the first cipher block.</item>
/// <item>-etm@openssh.com (OpenSSH PROTOCOL §1.5): the length travels in clear and is left out of the encryption and
/// the alignment; the MAC covers <c>sequence || length || ciphertext</c> and is checked before decrypting.</item>
/// </list>
/// </summary>
internal sealed class AesCtrHmacProtection : PacketProtection
{
    private readonly AesCtrKeystream _keystream;
    private readonly PacketMac _mac;
    private readonly bool _encryptThenMac;

    // Plain mode: the keystream of the packet's first block, taken when the length was read, used again by TryOpen.
    private readonly byte[] _firstBlockKeystream = new byte[AesCtrKeystream.BlockSize];

    public AesCtrHmacProtection(CipherAlgorithm cipher, MacAlgorithm mac, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> macKey)
        : base(
            cipher.Name + "+" + mac.Name,
            blockSize: AesCtrKeystream.BlockSize,
            tagLength: mac.Length,
            bytesNeededForLength: mac.EncryptThenMac ? LengthFieldSize : AesCtrKeystream.BlockSize,
            alignmentCoversLengthField: !mac.EncryptThenMac)
    {
        _encryptThenMac = mac.EncryptThenMac;
        _keystream = new AesCtrKeystream(key, iv);
        _mac = new PacketMac(mac.Hash, macKey, mac.Length);
    }

    private protected override uint DecryptPacketLength(uint sequenceNumber, ReadOnlySpan<byte> head)
    {
        if (_encryptThenMac)
        {
            return BinaryPrimitives.ReadUInt32BigEndian(head);
        }

        _keystream.Take(_firstBlockKeystream);
        Span<byte> length = stackalloc byte[LengthFieldSize];
        AesCtrKeystream.XorBytes(head[..LengthFieldSize], _firstBlockKeystream.AsSpan(0, LengthFieldSize), length);
        return BinaryPrimitives.ReadUInt32BigEndian(length);
    }

    private protected override bool OpenCore(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        if (_encryptThenMac)
        {
            if (!_mac.Verify(sequenceNumber, packet, tag))
            {
                return false;
            }

            packet[..LengthFieldSize].CopyTo(plaintext);
            _keystream.Xor(packet[LengthFieldSize..], plaintext[LengthFieldSize..]);
            return true;
        }

        // Decrypted again from the bytes given (not from what ReadPacketLength saw), so the MAC covers exactly these.
        const int first = AesCtrKeystream.BlockSize;
        AesCtrKeystream.XorBytes(packet[..first], _firstBlockKeystream, plaintext[..first]);
        _keystream.Xor(packet[first..], plaintext[first..]);
        if (_mac.Verify(sequenceNumber, plaintext, tag))
        {
            return true;
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return false;
    }

    private protected override void SealCore(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
        if (_encryptThenMac)
        {
            _keystream.Xor(packet[LengthFieldSize..], packet[LengthFieldSize..]);
            _mac.Compute(sequenceNumber, packet, tag);
        }
        else
        {
            _mac.Compute(sequenceNumber, packet, tag);
            _keystream.Xor(packet, packet);
        }
    }

    protected override void DisposeKeys()
    {
        _keystream.Dispose();
        _mac.Dispose();
        CryptographicOperations.ZeroMemory(_firstBlockKeystream);
    }
}
