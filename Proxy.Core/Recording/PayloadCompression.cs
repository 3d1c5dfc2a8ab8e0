using System.Buffers;
using System.Buffers.Binary;
using ZstdSharp;

namespace HoopProxy.Core.Recording;

/// <summary>
/// Per-record zstd: a compressed payload is <c>u32 plain length | zstd frame</c> and is kept only when it is
/// smaller than the plain bytes. One instance per thread (the writer task); the scratch buffer is pooled.
/// </summary>
internal sealed class PayloadCompressor : IDisposable
{
    private readonly Compressor _zstd = new(level: 3);
    private byte[] _scratch = [];

    /// <summary>Returns the bytes to store: a compressed form in the scratch buffer, or <paramref name="plain"/> itself.</summary>
    public ReadOnlySpan<byte> Encode(ReadOnlySpan<byte> plain, out byte flags)
    {
        flags = 0;
        if (plain.Length < RecordingFormat.MinCompressedPayloadBytes)
        {
            return plain;
        }

        var bound = 4 + Compressor.GetCompressBound(plain.Length);
        if (_scratch.Length < bound)
        {
            if (_scratch.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
            }

            _scratch = ArrayPool<byte>.Shared.Rent(bound);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(_scratch, (uint)plain.Length);
        var written = 4 + _zstd.Wrap(plain, _scratch.AsSpan(4));
        if (written >= plain.Length)
        {
            return plain;
        }

        flags = RecordingFormat.FlagZstd;
        return _scratch.AsSpan(0, written);
    }

    public void Dispose()
    {
        _zstd.Dispose();
        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = [];
        }
    }
}

/// <summary>Turns a stored payload back into its plain bytes; refuses a stated length above the format's maximum.</summary>
internal sealed class PayloadDecompressor : IDisposable
{
    private readonly Decompressor _zstd = new();

    public byte[] Decode(RecordHeader header, byte[] stored)
    {
        if ((header.Flags & RecordingFormat.FlagZstd) == 0)
        {
            return stored;
        }

        if (stored.Length < 4)
        {
            throw new InvalidDataException("the compressed payload is shorter than its length prefix");
        }

        var plainLength = BinaryPrimitives.ReadUInt32LittleEndian(stored);
        if (plainLength > RecordingFormat.MaxPayloadBytes)
        {
            throw new InvalidDataException($"the compressed payload claims {plainLength} plain bytes, above the maximum");
        }

        var plain = new byte[plainLength];
        try
        {
            var n = _zstd.Unwrap(stored.AsSpan(4), plain);
            if (n != plain.Length)
            {
                throw new InvalidDataException($"the compressed payload holds {n} bytes, not the {plainLength} its prefix states");
            }
        }
        catch (Exception e) when (e is ZstdException or ArgumentException)
        {
            throw new InvalidDataException("the compressed payload is not a valid zstd frame: " + e.Message, e);
        }

        return plain;
    }

    public void Dispose() => _zstd.Dispose();
}
