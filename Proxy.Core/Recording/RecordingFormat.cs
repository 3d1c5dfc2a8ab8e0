using System.Buffers.Binary;
using System.Security.Cryptography;

namespace HoopProxy.Core.Recording;

/// <summary>
/// The byte layout of a session file (docs/recording-format.md is the full description):
/// a 16-byte file header, then records of <c>header(24) | payload | sha256(32)</c>, where each record's
/// hash covers the previous record's hash, its own header and its payload exactly as stored.
/// </summary>
public static class RecordingFormat
{
    public const string FileExtension = ".hrec";
    public const string IndexFileName = "index.log";
    public const string LockFileName = ".lock";

    public const int FileHeaderSize = 16;
    public const byte FormatVersion = 1;
    public const int RecordHeaderSize = 24;
    public const int HashSize = 32;
    public const int SignatureSize = 64;

    /// <summary>Data writes are split into records of at most this many bytes, which bounds the queue's memory.</summary>
    public const int MaxDataChunkBytes = 256 * 1024;

    /// <summary>No stored payload is larger; a reader refuses a length above it before reading (a flipped length byte cannot make it allocate gigabytes).</summary>
    public const int MaxPayloadBytes = 16 * 1024 * 1024;

    /// <summary>Payloads shorter than this are never compressed: zstd's frame overhead would outweigh the gain.</summary>
    public const int MinCompressedPayloadBytes = 64;

    /// <summary>Flag bit in the record header: the payload is <c>u32 uncompressed length | zstd frame</c>.</summary>
    public const byte FlagZstd = 0x01;

    private static ReadOnlySpan<byte> Magic => "HOOPREC1"u8;

    public static void WriteFileHeader(Span<byte> destination, RecordingCompression compression)
    {
        destination[..FileHeaderSize].Clear();
        Magic.CopyTo(destination);
        destination[8] = FormatVersion;
        destination[9] = compression == RecordingCompression.Zstd ? (byte)1 : (byte)0;
    }

    public static bool IsValidFileHeader(ReadOnlySpan<byte> header) =>
        header.Length >= FileHeaderSize
        && header[..8].SequenceEqual(Magic)
        && header[8] == FormatVersion
        && header[9] <= 1
        && !header[10..FileHeaderSize].ContainsAnyExcept((byte)0);

    /// <summary>The chain's starting value: the hash of the file header, so the header is covered too.</summary>
    public static void HashFileHeader(ReadOnlySpan<byte> header, Span<byte> destination) =>
        SHA256.HashData(header[..FileHeaderSize], destination);

    public static void ComputeRecordHash(
        IncrementalHash sha256, ReadOnlySpan<byte> previousHash, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        sha256.AppendData(previousHash);
        sha256.AppendData(header);
        sha256.AppendData(payload);
        sha256.GetHashAndReset(destination);
    }

    public static bool IsValidSessionId(string sessionId) =>
        sessionId.Length is > 0 and <= 128
        && sessionId[0] != '.'
        && !sessionId.AsSpan().ContainsAnyExcept(SessionIdCharacters);

    private static readonly System.Buffers.SearchValues<char> SessionIdCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
}

/// <summary>
/// The fixed 24-byte record header: <c>u32 payload length | u8 type | u8 flags | u8 direction | u8 reserved |
/// u64 sequence | i64 ticks since the session's monotonic start</c>, little-endian.
/// </summary>
public readonly record struct RecordHeader(int PayloadLength, RecordType Type, byte Flags, byte Direction, long Sequence, long ElapsedTicks)
{
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)PayloadLength);
        destination[4] = (byte)Type;
        destination[5] = Flags;
        destination[6] = Direction;
        destination[7] = 0;
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], ElapsedTicks);
    }

    /// <summary>Parses a header; <paramref name="problem"/> says what is wrong when it returns false.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out RecordHeader header, out string? problem)
    {
        header = default;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(source);
        var type = source[4];
        var flags = source[5];
        var direction = source[6];
        if (length > RecordingFormat.MaxPayloadBytes)
        {
            problem = $"payload length {length} exceeds the maximum {RecordingFormat.MaxPayloadBytes}";
            return false;
        }

        if (type is < (byte)RecordType.Start or > (byte)RecordType.Seal)
        {
            problem = $"unknown record type {type}";
            return false;
        }

        if ((flags & ~RecordingFormat.FlagZstd) != 0 || source[7] != 0)
        {
            problem = $"unknown flags 0x{flags:x2}/0x{source[7]:x2}";
            return false;
        }

        var expectDirection = type == (byte)RecordType.Data;
        if (expectDirection ? direction is not (1 or 2) : direction != 0)
        {
            problem = $"direction {direction} is not valid for a {(RecordType)type} record";
            return false;
        }

        header = new RecordHeader((int)length, (RecordType)type, flags, direction,
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]), BinaryPrimitives.ReadInt64LittleEndian(source[16..]));
        problem = null;
        return true;
    }
}
