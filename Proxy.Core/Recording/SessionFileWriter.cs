using System.Buffers;
using System.Security.Cryptography;

namespace HoopProxy.Core.Recording;

/// <summary>
/// Appends records to one session file: keeps the chain's previous hash and the sequence number, and buffers
/// records in a pooled buffer that reaches the file only on <see cref="Flush"/>. Used by one thread at a time
/// (the store's writer task, or the caller of StartSession / recovery before the writer sees the session).
/// </summary>
internal sealed class SessionFileWriter : IDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly FileStream _file;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _buffered;
    private readonly byte[] _previousHash = new byte[RecordingFormat.HashSize];

    private SessionFileWriter(string path, FileStream file, DateTimeOffset wallClockStart)
    {
        Path = path;
        _file = file;
        WallClockStart = wallClockStart;
    }

    public string Path { get; }

    /// <summary>Wall-clock time of elapsed tick 0; a record's timestamp is this plus its elapsed ticks.</summary>
    public DateTimeOffset WallClockStart { get; }

    public long NextSequence { get; private set; }
    public long FirstElapsedTicks { get; private set; }
    public long LastElapsedTicks { get; private set; }
    public long ClientBytes { get; private set; }
    public long ServerBytes { get; private set; }
    public bool IsDirty => _buffered > 0;
    public bool IsClosed => _buffer is null;
    public ReadOnlySpan<byte> PreviousHash => _previousHash;

    /// <summary>Creates the file (it must not exist) and writes the file header; throws IOException or UnauthorizedAccessException.</summary>
    public static SessionFileWriter Create(string path, RecordingCompression compression, DateTimeOffset wallClockStart)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            // Recordings hold what clients saw; other local users have no business reading them.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        }

        var file = new FileStream(path, options);
        var writer = new SessionFileWriter(path, file, wallClockStart);
        Span<byte> header = stackalloc byte[RecordingFormat.FileHeaderSize];
        RecordingFormat.WriteFileHeader(header, compression);
        RecordingFormat.HashFileHeader(header, writer._previousHash);
        writer.AppendRaw(header);
        return writer;
    }

    /// <summary>Reopens an unsealed file to append after <paramref name="length"/> (recovery); bytes beyond it are cut off.</summary>
    public static SessionFileWriter Resume(string path, long length, ReadOnlySpan<byte> previousHash, long nextSequence,
        DateTimeOffset wallClockStart, long firstElapsed, long lastElapsed, long clientBytes, long serverBytes)
    {
        var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0 });
        file.SetLength(length);
        file.Position = length;
        var writer = new SessionFileWriter(path, file, wallClockStart)
        {
            NextSequence = nextSequence,
            FirstElapsedTicks = firstElapsed,
            LastElapsedTicks = lastElapsed,
            ClientBytes = clientBytes,
            ServerBytes = serverBytes,
        };
        previousHash.CopyTo(writer._previousHash);
        return writer;
    }

    /// <summary>Appends one record whose payload is already encoded (compressed or not, as <paramref name="flags"/> says).</summary>
    public void Append(IncrementalHash sha256, RecordType type, byte flags, byte direction, long elapsedTicks, ReadOnlySpan<byte> storedPayload, int plainLength)
    {
        var header = new RecordHeader(storedPayload.Length, type, flags, direction, NextSequence, elapsedTicks);
        Span<byte> headerBytes = stackalloc byte[RecordingFormat.RecordHeaderSize];
        header.WriteTo(headerBytes);
        Span<byte> hash = stackalloc byte[RecordingFormat.HashSize];
        RecordingFormat.ComputeRecordHash(sha256, _previousHash, headerBytes, storedPayload, hash);

        AppendRaw(headerBytes);
        AppendRaw(storedPayload);
        AppendRaw(hash);

        hash.CopyTo(_previousHash);
        if (NextSequence == 0)
        {
            FirstElapsedTicks = elapsedTicks;
        }

        NextSequence++;
        LastElapsedTicks = elapsedTicks;
        if (type == RecordType.Data)
        {
            if (direction == (byte)RecordDirection.ClientToServer)
            {
                ClientBytes += plainLength;
            }
            else
            {
                ServerBytes += plainLength;
            }
        }
    }

    /// <summary>Appends the end record and the signed seal, writes everything to disk (fsync) and closes the file.</summary>
    /// <returns>The seal record's hash (what the index line names) and the file's final length.</returns>
    public (byte[] SealHash, long Length, SealInfo Seal) Seal(IncrementalHash sha256, RecordingSigningKey key, string sessionId, string endReason,
        long endElapsedTicks, RecoveryInfo? recovery, bool writeEnd = true)
    {
        if (writeEnd)
        {
            var endedAt = WallClockStart + TimeSpan.FromTicks(endElapsedTicks);
            var end = RecordPayloads.End(endReason, endedAt);
            Append(sha256, RecordType.End, 0, 0, endElapsedTicks, end, end.Length);
        }

        var seal = new SealInfo(sessionId, NextSequence, RecordPayloads.Hex(_previousHash),
            WallClockStart + TimeSpan.FromTicks(FirstElapsedTicks), WallClockStart + TimeSpan.FromTicks(LastElapsedTicks),
            endReason, ClientBytes, ServerBytes, key.PublicKey, recovery);
        var json = RecordPayloads.SealJson(seal);
        var payload = new byte[json.Length + RecordingFormat.SignatureSize];
        json.CopyTo(payload, 0);
        var header = new RecordHeader(payload.Length, RecordType.Seal, 0, 0, NextSequence, LastElapsedTicks);
        var headerBytes = new byte[RecordingFormat.RecordHeaderSize];
        header.WriteTo(headerBytes);
        key.Sign(SealSignedMessage(_previousHash, headerBytes, json)).CopyTo(payload, json.Length);
        Append(sha256, RecordType.Seal, 0, 0, LastElapsedTicks, payload, payload.Length);

        var sealHash = _previousHash.ToArray();
        Flush(toDisk: true);
        var length = _file.Length;
        Dispose();
        return (sealHash, length, seal);
    }

    /// <summary>The seal's signature covers the previous record's hash, the seal's own header and its JSON.</summary>
    public static byte[] SealSignedMessage(ReadOnlySpan<byte> previousHash, ReadOnlySpan<byte> sealHeader, ReadOnlySpan<byte> json)
    {
        var message = new byte[previousHash.Length + sealHeader.Length + json.Length];
        previousHash.CopyTo(message);
        sealHeader.CopyTo(message.AsSpan(previousHash.Length));
        json.CopyTo(message.AsSpan(previousHash.Length + sealHeader.Length));
        return message;
    }

    /// <summary>Hands the buffered records to the operating system (enough to survive the process being killed); with <paramref name="toDisk"/>, fsync too.</summary>
    public void Flush(bool toDisk)
    {
        if (_buffer is null)
        {
            return;
        }

        if (_buffered > 0)
        {
            _file.Write(_buffer, 0, _buffered);
            _buffered = 0;
        }

        if (toDisk)
        {
            _file.Flush(flushToDisk: true);
        }
    }

    private void AppendRaw(ReadOnlySpan<byte> bytes)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(Path);
        if (_buffered + bytes.Length > buffer.Length)
        {
            Flush(toDisk: false);
            if (bytes.Length > buffer.Length)
            {
                _file.Write(bytes);
                return;
            }
        }

        bytes.CopyTo(buffer.AsSpan(_buffered));
        _buffered += bytes.Length;
    }

    /// <summary>Closes the file; buffered records not yet flushed are discarded (as a killed process would lose them).</summary>
    public void Abandon()
    {
        _buffered = 0;
        Dispose();
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            Flush(toDisk: false);
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _file.Dispose();
    }
}
