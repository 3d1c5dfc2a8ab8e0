using System.Buffers;
using System.Text.Json;
using HoopProxy.Core.Recording;

namespace HoopProxy.Core.Audit;

/// <summary>
/// The log file and the head of its chain. Only the writer thread touches it after opening: lines gather in a buffer
/// and reach the file on <see cref="Flush"/>, one write per batch.
/// </summary>
internal sealed class AuditFile : IDisposable
{
    private const int FlushThreshold = 256 * 1024;

    private readonly FileStream _lock;
    private readonly FileStream _file;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);
    private bool _checkpointPending;

    private AuditFile(string path, FileStream lockFile, FileStream file, AuditTail tail)
    {
        Path = path;
        _lock = lockFile;
        _file = file;
        Tail = tail;
        NextSeq = tail.LastSeq + 1;
        Head = tail.Head;
        LastCheckpointSeq = tail.LastCheckpointSeq;
        LinesSinceCheckpoint = tail.NotCheckpointed;
    }

    public string Path { get; }

    /// <summary>What opening found at the end of the file.</summary>
    public AuditTail Tail { get; }

    public long NextSeq { get; private set; }

    /// <summary>The hash of the last line: the next line's <c>prev</c>.</summary>
    public string Head { get; private set; }

    public long? LastCheckpointSeq { get; private set; }

    public long LinesSinceCheckpoint { get; private set; }

    /// <summary>Events buffered but not yet handed to the file: lost if the next write fails.</summary>
    public int BufferedEvents { get; private set; }

    /// <summary>
    /// Takes the lock beside the log (one writing process; a second proxy on the same file would fork the chain), opens
    /// or creates the file (mode 0640), and recovers its tail.
    /// </summary>
    public static AuditFile Open(string path)
    {
        var directory = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var lockFile = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        FileStream? file = null;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.Read,
                BufferSize = 0,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
            }

            file = new FileStream(path, options);
            var tail = AuditTailReader.Recover(file, path);
            file.Position = file.Length;
            return new AuditFile(path, lockFile, file, tail);
        }
        catch
        {
            file?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Chains an event (its members from <see cref="AuditEventSerializer"/>) onto the head.</summary>
    public void AppendEvent(ReadOnlySpan<byte> members)
    {
        BufferedEvents++;
        LinesSinceCheckpoint++;
        Append(AuditLineFormat.Body(NextSeq, Head, members));
    }

    /// <summary>
    /// A signed checkpoint: its <c>prev</c> is the head, so the signature vouches for every line before it — the lines
    /// since the previous checkpoint and, through that one's own link, all before.
    /// </summary>
    public void AppendCheckpoint(RecordingSigningKey key, DateTimeOffset time, string proxyHost, long droppedEvents)
    {
        var firstSeq = (LastCheckpointSeq ?? 0) + 1;
        var members = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(members))
        {
            w.WriteStartObject();
            w.WriteString(AuditFields.Time, AuditLineFormat.FormatTime(time));
            w.WriteString(AuditFields.Type, AuditEventTypes.Checkpoint);
            w.WriteString(AuditFields.ProxyHost, proxyHost);
            w.WriteStartObject(AuditCheckpointFields.Checkpoint);
            w.WriteNumber(AuditCheckpointFields.FirstSeq, firstSeq);
            if (LastCheckpointSeq is { } previous)
            {
                w.WriteNumber(AuditCheckpointFields.PreviousCheckpoint, previous);
            }
            else
            {
                w.WriteNull(AuditCheckpointFields.PreviousCheckpoint);
            }

            w.WriteNumber(AuditCheckpointFields.Lines, NextSeq - firstSeq);
            w.WriteNumber(AuditCheckpointFields.DroppedEvents, droppedEvents);
            w.WriteString(AuditCheckpointFields.KeyId, key.KeyId);
            w.WriteString(AuditCheckpointFields.PublicKey, Convert.ToBase64String(key.PublicKey));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        var body = AuditLineFormat.Body(NextSeq, Head, members.WrittenSpan[1..^1]);
        LastCheckpointSeq = NextSeq;
        _checkpointPending = true;
        Append(AuditLineFormat.WithSignature(body, key.Sign(body)));
        LinesSinceCheckpoint = 0;
    }

    /// <summary>
    /// Hands the buffered lines to the operating system; with <paramref name="toDisk"/>, or when a checkpoint is among
    /// them, also waits for the disk: a checkpoint is what a crash must not take back.
    /// </summary>
    public void Flush(bool toDisk)
    {
        if (_pending.WrittenCount > 0)
        {
            _file.Write(_pending.WrittenSpan);
            _pending.ResetWrittenCount();
            BufferedEvents = 0;
        }

        _file.Flush(flushToDisk: toDisk || _checkpointPending);
        _checkpointPending = false;
    }

    private void Append(byte[] body)
    {
        _pending.Write(AuditLineFormat.Seal(body, out var hash));
        Head = hash;
        NextSeq++;
        if (_pending.WrittenCount >= FlushThreshold)
        {
            Flush(toDisk: false);
        }
    }

    public void Dispose()
    {
        _file.Dispose();
        _lock.Dispose();
    }
}

/// <summary>The names inside a checkpoint line's <c>checkpoint</c> object.</summary>
public static class AuditCheckpointFields
{
    public const string Checkpoint = "checkpoint";
    public const string FirstSeq = "first_seq";
    public const string PreviousCheckpoint = "previous_checkpoint";
    public const string Lines = "lines";
    public const string DroppedEvents = "dropped_events";
    public const string KeyId = "key_id";
    public const string PublicKey = "public_key";
    public const string Signature = "signature";
}
