using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// AES in counter mode (RFC 4344 §4: the IV is the initial 128-bit big-endian counter, incremented per block, kept
/// across packets) as a continuous keystream, made by encrypting runs of counter blocks with AES-ECB.
/// </summary>
/// <remarks>
/// The keystream is generated <see cref="BufferSize"/> bytes at a time into a buffer owned by this object, so small
/// packets share one ECB call and nothing is allocated per packet. SSH packets are whole blocks, so the keystream
/// position is always block aligned at a packet boundary; generating ahead does not matter to CTR. The reusable
/// <see cref="ICryptoTransform"/> is used rather than <c>Aes.EncryptEcb</c>, whose one-shot form sets up a cipher
/// context on every call.
/// </remarks>
internal sealed class AesCtrKeystream : IDisposable
{
    public const int BlockSize = 16;
    public const int BufferSize = 256 * BlockSize;

    private readonly Aes _aes;
    private readonly ICryptoTransform _ecb;
    private readonly byte[] _counterBlocks = new byte[BufferSize];
    private readonly byte[] _keystream = new byte[BufferSize];
    private int _used = BufferSize;
    private ulong _counterHigh;
    private ulong _counterLow;

    public AesCtrKeystream(ReadOnlySpan<byte> key, ReadOnlySpan<byte> initialCounter)
    {
        if (key.Length is not (16 or 32))
        {
            throw new ArgumentException($"AES-CTR takes a 16- or 32-byte key, got {key.Length}", nameof(key));
        }

        if (initialCounter.Length != BlockSize)
        {
            throw new ArgumentException($"AES-CTR takes a {BlockSize}-byte IV, got {initialCounter.Length}", nameof(initialCounter));
        }

        _counterHigh = BinaryPrimitives.ReadUInt64BigEndian(initialCounter);
        _counterLow = BinaryPrimitives.ReadUInt64BigEndian(initialCounter[8..]);
        _aes = Aes.Create();
        var keyCopy = key.ToArray();
        try
        {
            _aes.Key = keyCopy;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyCopy);
        }

        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecb = _aes.CreateEncryptor();
    }

    /// <summary>output = input XOR the next <c>input.Length</c> keystream bytes; in place allowed.</summary>
    public void Xor(ReadOnlySpan<byte> input, Span<byte> output)
    {
        while (!input.IsEmpty)
        {
            if (_used == BufferSize)
            {
                Refill();
            }

            var count = Math.Min(input.Length, BufferSize - _used);
            XorBytes(input[..count], _keystream.AsSpan(_used, count), output);
            _used += count;
            input = input[count..];
            output = output[count..];
        }
    }

    /// <summary>Copies the next <c>destination.Length</c> keystream bytes out (for the first block of a packet, read early for its length).</summary>
    public void Take(Span<byte> destination)
    {
        destination.Clear();
        Xor(destination, destination);
    }

    /// <summary>output = a XOR b, a vector at a time; output may be a.</summary>
    public static void XorBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> output)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= a.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                (new Vector<byte>(a[i..]) ^ new Vector<byte>(b[i..])).CopyTo(output[i..]);
            }
        }

        for (; i < a.Length; i++)
        {
            output[i] = (byte)(a[i] ^ b[i]);
        }
    }

    private void Refill()
    {
        var blocks = _counterBlocks.AsSpan();
        for (var offset = 0; offset < BufferSize; offset += BlockSize)
        {
            BinaryPrimitives.WriteUInt64BigEndian(blocks[offset..], _counterHigh);
            BinaryPrimitives.WriteUInt64BigEndian(blocks[(offset + 8)..], _counterLow);
            if (++_counterLow == 0)
            {
                _counterHigh++;
            }
        }

        var written = _ecb.TransformBlock(_counterBlocks, 0, BufferSize, _keystream, 0);
        if (written != BufferSize)
        {
            throw new CryptographicException($"AES-ECB produced {written} bytes of keystream, expected {BufferSize}");
        }

        _used = 0;
    }

    public void Dispose()
    {
        _ecb.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_keystream);
        CryptographicOperations.ZeroMemory(_counterBlocks);
        _counterHigh = _counterLow = 0;
        _used = BufferSize;
    }
}
