using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// ChaCha20 as OpenSSH's chacha20-poly1305 uses it: Bernstein's original layout, a 64-bit block counter in state words
/// 12–13 and an 8-byte nonce in words 14–15, which OpenSSH fills with the packet sequence number as a big-endian
/// uint64. Stateless apart from the key: every call names its nonce and first block, so nothing is buffered between
/// packets and nothing is allocated per packet.
/// </summary>
/// <remarks>
/// The keystream is computed by the fastest implementation on the machine (<see cref="ChaCha20Implementations.Fastest"/>),
/// or by the one the tests force. The vector implementations work in chunks of 4 or 8 blocks; a last partial chunk is
/// computed whole on the stack.
/// </remarks>
internal sealed class OpenSshChaCha20 : IDisposable
{
    public const int KeySize = 32;
    public const int BlockSize = 64;
    public const int NonceSize = 8;

    // Key words 4–11 of the state, little-endian as the specification reads them.
    private readonly uint[] _key = new uint[KeySize / sizeof(uint)];

    public OpenSshChaCha20(ReadOnlySpan<byte> key)
        : this(key, ChaCha20Implementations.Fastest)
    {
    }

    /// <summary>For the tests, which compare the implementations with each other.</summary>
    internal OpenSshChaCha20(ReadOnlySpan<byte> key, ChaCha20Implementation implementation)
    {
        if (key.Length != KeySize)
        {
            throw new ArgumentException($"ChaCha20 takes a {KeySize}-byte key, got {key.Length}", nameof(key));
        }

        if (!ChaCha20Implementations.IsSupported(implementation))
        {
            throw new PlatformNotSupportedException($"the {implementation} ChaCha20 is not accelerated on this machine");
        }

        Implementation = implementation;
        for (var i = 0; i < _key.Length; i++)
        {
            _key[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(i * sizeof(uint))..]);
        }
    }

    public ChaCha20Implementation Implementation { get; }

    /// <summary>
    /// XORs the keystream of packet <paramref name="sequenceNumber"/> from block <paramref name="firstBlock"/> on into
    /// <paramref name="output"/>. The spans have the same length and are the same memory (in place) or do not overlap.
    /// </summary>
    public void Apply(uint sequenceNumber, ulong firstBlock, ReadOnlySpan<byte> input, Span<byte> output)
    {
        // The nonce bytes are uint64 sequenceNumber big-endian: 00 00 00 00 s3 s2 s1 s0. Read as two little-endian
        // words, word 14 is 0 and word 15 is the sequence number byte-swapped.
        var nonce = (ulong)BinaryPrimitives.ReverseEndianness(sequenceNumber) << 32;
        Xor(nonce, firstBlock, input, output);
    }

    /// <summary>As <see cref="Apply(uint, ulong, ReadOnlySpan{byte}, Span{byte})"/> with any 8-byte nonce (the tests compare with other implementations).</summary>
    internal void Apply(ReadOnlySpan<byte> nonce, ulong firstBlock, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"ChaCha20 takes an {NonceSize}-byte nonce, got {nonce.Length}", nameof(nonce));
        }

        Xor(BinaryPrimitives.ReadUInt64LittleEndian(nonce), firstBlock, input, output);
    }

    /// <summary>Wipes the key.</summary>
    public void Dispose() => CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_key.AsSpan()));

    /// <param name="nonce">State words 14 (low half) and 15 (high half).</param>
    private void Xor(ulong nonce, ulong counter, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length != output.Length)
        {
            throw new ArgumentException($"the output holds {output.Length} bytes, the input {input.Length}", nameof(output));
        }

        if (input.Overlaps(output, out var offset) && offset != 0)
        {
            throw new ArgumentException("the output must be the input itself (in place) or not overlap it", nameof(output));
        }

        if (Implementation == ChaCha20Implementation.Scalar)
        {
            ChaCha20Scalar.Xor(_key, counter, nonce, input, output);
            return;
        }

        var done = XorWholeChunks(counter, nonce, input, output);
        if (done == input.Length)
        {
            return;
        }

        // The rest is under one chunk: a whole chunk of keystream (8 or 4 blocks at once) costs less than even one
        // block computed alone (~125 ns against ~180 ns), so the tail is XORed from a chunk made on the stack.
        Span<byte> keystream = stackalloc byte[ChaCha20Vector256.ChunkSize];
        keystream = keystream[..ChunkSize];
        keystream.Clear();
        XorWholeChunks(counter + (ulong)(done / BlockSize), nonce, keystream, keystream);
        ChaCha20Scalar.XorBytes(input[done..], keystream[..(input.Length - done)], output[done..]);
        CryptographicOperations.ZeroMemory(keystream);
    }

    private int ChunkSize => Implementation switch
    {
        ChaCha20Implementation.Vector256 => ChaCha20Vector256.ChunkSize,
        ChaCha20Implementation.Vector256Rows => ChaCha20Vector256Rows.ChunkSize,
        _ => ChaCha20Vector128.ChunkSize,
    };

    private int XorWholeChunks(ulong counter, ulong nonce, ReadOnlySpan<byte> input, Span<byte> output) => Implementation switch
    {
        ChaCha20Implementation.Vector256 => ChaCha20Vector256.XorWholeChunks(_key, counter, nonce, input, output),
        ChaCha20Implementation.Vector256Rows => ChaCha20Vector256Rows.XorWholeChunks(_key, counter, nonce, input, output),
        _ => ChaCha20Vector128.XorWholeChunks(_key, counter, nonce, input, output),
    };
}
