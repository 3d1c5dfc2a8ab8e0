using System.Security.Cryptography;

namespace HoopProxy.Core.Recording;

/// <summary>One record as stored: header, payload bytes as on disk, stored hash and whether it matches.</summary>
internal sealed record ScannedRecord(long Number, long Offset, RecordHeader Header, byte[] HeaderBytes, byte[] StoredPayload, byte[] StoredHash, byte[] ComputedHash, byte[] PreviousHash)
{
    public bool HashMatches => StoredHash.AsSpan().SequenceEqual(ComputedHash);
    public long End => Offset + RecordingFormat.RecordHeaderSize + StoredPayload.Length + RecordingFormat.HashSize;
}

/// <summary>How a scan ended: cleanly at the end of the file, inside a record (truncated or torn), or at bytes that are not a record.</summary>
internal enum ScanEnd
{
    None,
    EndOfFile,
    Truncated,
    Malformed,
}

/// <summary>
/// Walks a session file record by record without judging it (the verifier and the reader do). Each record's
/// hash is recomputed over the previous record's <em>stored</em> hash, so a changed payload shows as a mismatch
/// at that record alone. A length above <see cref="RecordingFormat.MaxPayloadBytes"/> ends the scan before reading.
/// </summary>
internal sealed class RecordScanner : IDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _previousHash = new byte[RecordingFormat.HashSize];
    private long _number;

    public RecordScanner(string path)
    {
        Path = path;
        // ReadWrite share: an active session's file is open for writing by the store.
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        Length = _file.Length;
        var header = new byte[RecordingFormat.FileHeaderSize];
        var read = _file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        FileHeader = header;
        if (read < RecordingFormat.FileHeaderSize || !RecordingFormat.IsValidFileHeader(header))
        {
            HeaderProblem = read < RecordingFormat.FileHeaderSize
                ? $"the file is {Length} bytes, shorter than the {RecordingFormat.FileHeaderSize}-byte file header"
                : "the file header is not a HoopProxy recording header (magic, version or flags differ)";
            End = read < RecordingFormat.FileHeaderSize ? ScanEnd.Truncated : ScanEnd.Malformed;
            EndOffset = 0;
            return;
        }

        Compression = header[9] == 1 ? RecordingCompression.Zstd : RecordingCompression.None;
        RecordingFormat.HashFileHeader(header, _previousHash);
        EndOffset = RecordingFormat.FileHeaderSize;
    }

    public string Path { get; }
    public long Length { get; }
    public byte[] FileHeader { get; }
    public string? HeaderProblem { get; }
    public RecordingCompression Compression { get; }

    public ScanEnd End { get; private set; }

    /// <summary>Offset just after the last complete record (where the scan stopped).</summary>
    public long EndOffset { get; private set; }

    public string? EndProblem { get; private set; }

    /// <summary>The stored hash of the last complete record (the file header's hash before any).</summary>
    public ReadOnlySpan<byte> LastHash => _previousHash;

    public bool TryReadNext(out ScannedRecord record)
    {
        record = null!;
        if (End != ScanEnd.None)
        {
            return false;
        }

        var offset = EndOffset;
        var headerBytes = new byte[RecordingFormat.RecordHeaderSize];
        var got = _file.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false);
        if (got == 0)
        {
            End = ScanEnd.EndOfFile;
            return false;
        }

        if (got < headerBytes.Length)
        {
            return Stop(ScanEnd.Truncated, $"the file ends {got} bytes into the header of record {_number}");
        }

        if (!RecordHeader.TryRead(headerBytes, out var header, out var problem))
        {
            return Stop(ScanEnd.Malformed, $"record {_number} has an invalid header: {problem}");
        }

        var payload = new byte[header.PayloadLength];
        var hash = new byte[RecordingFormat.HashSize];
        if (_file.ReadAtLeast(payload, payload.Length, throwOnEndOfStream: false) < payload.Length
            || _file.ReadAtLeast(hash, hash.Length, throwOnEndOfStream: false) < hash.Length)
        {
            var needed = RecordingFormat.RecordHeaderSize + payload.Length + RecordingFormat.HashSize;
            return Stop(ScanEnd.Truncated, $"record {_number} needs {needed} bytes but the file ends after {Length - offset}");
        }

        var computed = new byte[RecordingFormat.HashSize];
        RecordingFormat.ComputeRecordHash(_sha256, _previousHash, headerBytes, payload, computed);
        record = new ScannedRecord(_number, offset, header, headerBytes, payload, hash, computed, _previousHash);
        _previousHash = hash;
        _number++;
        EndOffset = record.End;
        return true;
    }

    private bool Stop(ScanEnd end, string problem)
    {
        End = end;
        EndProblem = problem;
        return false;
    }

    /// <summary>True when every byte from <paramref name="offset"/> to the end is zero (a tail the file system allocated but never wrote).</summary>
    public bool IsZeroFrom(long offset)
    {
        _file.Position = offset;
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = _file.Read(buffer)) > 0)
        {
            if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0))
            {
                return false;
            }
        }

        return true;
    }

    public void Dispose()
    {
        _file.Dispose();
        _sha256.Dispose();
    }
}
