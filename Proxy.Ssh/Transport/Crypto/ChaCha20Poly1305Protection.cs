using System.Buffers.Binary;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305). The 64-byte key is two ChaCha20 keys: K_1 (the
/// first 32 bytes) encrypts the payload from block counter 1 and its block 0 gives the one-time Poly1305 key; K_2 (the
/// last 32) encrypts the 4 length bytes. Both use the sequence number as nonce. The tag covers the encrypted length and
/// the encrypted rest of the packet, and is checked before anything is decrypted.
/// </summary>
internal sealed class ChaCha20Poly1305Protection : PacketProtection
{
    public const int KeySize = 2 * OpenSshChaCha20.KeySize;

    // Block 0 of K_1 gives the Poly1305 key; the payload is encrypted from block 1.
    private const ulong PayloadFirstBlock = 1;

    private readonly OpenSshChaCha20 _payloadCipher;
    private readonly OpenSshChaCha20 _lengthCipher;

    public ChaCha20Poly1305Protection(ReadOnlySpan<byte> key)
        : base(CipherAlgorithm.ChaCha20Poly1305Name, blockSize: 8, tagLength: Poly1305.TagSize, bytesNeededForLength: LengthFieldSize, alignmentCoversLengthField: false)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"chacha20-poly1305 takes a {KeySize}-byte key, got {key.Length}", nameof(key));
        }

        _payloadCipher = new OpenSshChaCha20(key[..OpenSshChaCha20.KeySize]);
        _lengthCipher = new OpenSshChaCha20(key[OpenSshChaCha20.KeySize..]);
    }

    private protected override uint DecryptPacketLength(uint sequenceNumber, ReadOnlySpan<byte> head)
    {
        Span<byte> length = stackalloc byte[LengthFieldSize];
        _lengthCipher.Apply(sequenceNumber, 0, head, length);
        return BinaryPrimitives.ReadUInt32BigEndian(length);
    }

    private protected override bool OpenCore(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Span<byte> polyKey = stackalloc byte[Poly1305.KeySize];
        Span<byte> expected = stackalloc byte[Poly1305.TagSize];
        DerivePolyKey(sequenceNumber, polyKey);
        Poly1305.ComputeTag(polyKey, packet, expected);
        CryptographicOperations.ZeroMemory(polyKey);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag))
        {
            return false;
        }

        _lengthCipher.Apply(sequenceNumber, 0, packet[..LengthFieldSize], plaintext[..LengthFieldSize]);
        _payloadCipher.Apply(sequenceNumber, PayloadFirstBlock, packet[LengthFieldSize..], plaintext[LengthFieldSize..]);
        return true;
    }

    private protected override void SealCore(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
        _lengthCipher.Apply(sequenceNumber, 0, packet[..LengthFieldSize], packet[..LengthFieldSize]);

        Span<byte> polyKey = stackalloc byte[Poly1305.KeySize];
        DerivePolyKey(sequenceNumber, polyKey);
        _payloadCipher.Apply(sequenceNumber, PayloadFirstBlock, packet[LengthFieldSize..], packet[LengthFieldSize..]);
        Poly1305.ComputeTag(polyKey, packet, tag);
        CryptographicOperations.ZeroMemory(polyKey);
    }

    /// <summary>The Poly1305 key: the first 32 bytes of K_1's block 0 for this packet (the payload starts at block 1).</summary>
    private void DerivePolyKey(uint sequenceNumber, Span<byte> polyKey)
    {
        polyKey.Clear();
        _payloadCipher.Apply(sequenceNumber, 0, polyKey, polyKey);
    }

    protected override void DisposeKeys()
    {
        _payloadCipher.Dispose();
        _lengthCipher.Dispose();
    }
}
