using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// ChaCha20 as OpenSSH's chacha20-poly1305 uses it: Bernstein's original layout (BouncyCastle's
/// <see cref="ChaChaEngine"/>, not the RFC 8439 <c>ChaCha7539Engine</c>): a 64-bit block counter in state words 12–13
/// and an 8-byte nonce in words 14–15, which OpenSSH fills with the packet sequence number as a big-endian uint64.
/// </summary>
/// <remarks>
/// BouncyCastle's public <c>Init</c> takes a fresh <c>ParametersWithIV</c> (and copies the IV twice), which would
/// allocate on every packet; as a subclass we reach the engine's protected <c>SetKey(null, iv)</c> and <c>Reset</c>,
/// which change only the nonce and counter, in place.
/// </remarks>
internal sealed class OpenSshChaCha20 : ChaChaEngine
{
    public const int KeySize = 32;

    private readonly byte[] _nonce = new byte[8];

    public OpenSshChaCha20(ReadOnlySpan<byte> key)
        : base(20)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"ChaCha20 takes a {KeySize}-byte key, got {key.Length}", nameof(key));
        }

        // Init marks the engine initialised; it is given a zero key so that BouncyCastle's copies (KeyParameter, GetKey)
        // never hold the real one, which goes straight into the engine state from an array we wipe.
        Init(true, new ParametersWithIV(new KeyParameter(new byte[KeySize]), _nonce));
        var keyCopy = key.ToArray();
        try
        {
            SetKey(keyCopy, _nonce);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyCopy);
        }
    }

    /// <summary>Positions the keystream at block 0 for the packet with this sequence number.</summary>
    public void StartPacket(uint sequenceNumber)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_nonce, sequenceNumber);
        SetKey(null!, _nonce);
        Reset();
    }

    /// <summary>XORs the next <c>input.Length</c> keystream bytes into <paramref name="output"/> (in place allowed).</summary>
    public void Apply(ReadOnlySpan<byte> input, Span<byte> output) => ProcessBytes(input, output);

    /// <summary>Replaces the key in the engine state, and the buffered keystream block, with those of an all-zero key.</summary>
    public void Wipe()
    {
        SetKey(new byte[KeySize], _nonce);
        Reset();
        Span<byte> scratch = stackalloc byte[64];
        ProcessBytes(scratch, scratch);
        CryptographicOperations.ZeroMemory(_nonce);
    }
}
