using System.Buffers.Binary;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// aes128-gcm@openssh.com and aes256-gcm@openssh.com (RFC 5647 as OpenSSH PROTOCOL §1.6 amends it): the 4 length bytes
/// travel in clear as additional authenticated data, the rest is encrypted, a 16-byte tag follows. The 12-byte nonce is
/// the 4-byte fixed field and 8-byte invocation counter from the key exchange's IV; the counter (big-endian, wrapping)
/// goes up by one after every packet, so the sequence number is not used.
/// </summary>
internal sealed class AesGcmProtection : PacketProtection
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private readonly AesGcm _aes;
    private readonly byte[] _nonce = new byte[NonceSize];

    public AesGcmProtection(string name, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv)
        : base(name, blockSize: 16, tagLength: TagSize, bytesNeededForLength: LengthFieldSize, alignmentCoversLengthField: false)
    {
        if (iv.Length != NonceSize)
        {
            throw new ArgumentException($"{name} takes a {NonceSize}-byte IV, got {iv.Length}", nameof(iv));
        }

        _aes = new AesGcm(key, TagSize);
        iv.CopyTo(_nonce);
    }

    private protected override uint DecryptPacketLength(uint sequenceNumber, ReadOnlySpan<byte> head) =>
        BinaryPrimitives.ReadUInt32BigEndian(head);

    private protected override bool OpenCore(uint sequenceNumber, ReadOnlySpan<byte> packet, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        try
        {
            _aes.Decrypt(_nonce, packet[LengthFieldSize..], tag, plaintext[LengthFieldSize..], packet[..LengthFieldSize]);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        // After decrypting: in place, these are the same bytes, and they were the associated data.
        packet[..LengthFieldSize].CopyTo(plaintext);
        AdvanceInvocationCounter();
        return true;
    }

    private protected override void SealCore(uint sequenceNumber, Span<byte> packet, Span<byte> tag)
    {
        _aes.Encrypt(_nonce, packet[LengthFieldSize..], packet[LengthFieldSize..], tag, packet[..LengthFieldSize]);
        AdvanceInvocationCounter();
    }

    private void AdvanceInvocationCounter()
    {
        var counter = _nonce.AsSpan(4);
        BinaryPrimitives.WriteUInt64BigEndian(counter, unchecked(BinaryPrimitives.ReadUInt64BigEndian(counter) + 1));
    }

    protected override void DisposeKeys()
    {
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_nonce);
    }
}
