using System.Buffers.Binary;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>How K is written where it enters the exchange hash and the key derivation.</summary>
public enum SharedSecretEncoding
{
    /// <summary>RFC 4253/5656/8731 methods: K is an <c>mpint</c> (leading zeros dropped, a zero byte before a set top bit).</summary>
    Mpint,

    /// <summary>The hybrid post-quantum methods: K is a <c>string</c> holding a hash, written as it is (OpenSSH's kexmlkem768x25519.c and kexsntrup761x25519.c).</summary>
    String,
}

/// <summary>
/// The shared secret K of one key exchange, kept already encoded as it enters H and the key derivation, so that no
/// caller can encode it the wrong way (the mpint/string trap of the hybrid methods). Dispose it once the keys are
/// derived: the bytes are zeroed.
/// </summary>
public sealed class SharedSecret : IDisposable
{
    private readonly byte[] _encoded;
    private bool _disposed;

    private SharedSecret(byte[] encoded, SharedSecretEncoding encoding)
    {
        _encoded = encoded;
        Encoding = encoding;
    }

    public SharedSecretEncoding Encoding { get; }

    /// <summary>K with its length prefix, exactly the bytes hashed into H and into every derived key.</summary>
    public ReadOnlySpan<byte> Encoded
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _encoded;
        }
    }

    /// <summary>K as an <c>mpint</c> from its unsigned big-endian magnitude (leading zero bytes allowed; they are dropped).</summary>
    public static SharedSecret FromMpintMagnitude(ReadOnlySpan<byte> magnitude)
    {
        var first = magnitude.IndexOfAnyExcept((byte)0);
        if (first < 0)
        {
            // Every method here rejects an all-zero secret before it gets this far; a zero K would be a bug.
            throw new ArgumentException("a shared secret of zero is never valid", nameof(magnitude));
        }

        magnitude = magnitude[first..];
        var pad = (magnitude[0] & 0x80) != 0 ? 1 : 0;
        var encoded = new byte[4 + pad + magnitude.Length];
        BinaryPrimitives.WriteUInt32BigEndian(encoded, (uint)(pad + magnitude.Length));
        magnitude.CopyTo(encoded.AsSpan(4 + pad));
        return new SharedSecret(encoded, SharedSecretEncoding.Mpint);
    }

    /// <summary>K as a <c>string</c> of these bytes.</summary>
    public static SharedSecret FromString(ReadOnlySpan<byte> value)
    {
        var encoded = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt32BigEndian(encoded, (uint)value.Length);
        value.CopyTo(encoded.AsSpan(4));
        return new SharedSecret(encoded, SharedSecretEncoding.String);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_encoded);
            _disposed = true;
        }
    }
}
