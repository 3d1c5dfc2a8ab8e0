using System.Text.Json.Nodes;

namespace HoopProxy.Core.Recording;

/// <summary>
/// One decoded record. <see cref="Data"/> is set for data records; <see cref="EventType"/> and <see cref="Fields"/>
/// for events (start and end records carry their JSON in <see cref="Fields"/> too); <see cref="Seal"/> for the seal.
/// </summary>
/// <param name="HashValid">The record's stored hash matches its bytes and its predecessor's hash; run the verifier for the full set of checks.</param>
public sealed record SessionRecord(
    long Number,
    long Offset,
    RecordType Type,
    TimeSpan Elapsed,
    DateTimeOffset Timestamp,
    RecordDirection? Direction,
    ReadOnlyMemory<byte> Data,
    string? EventType,
    JsonObject? Fields,
    SealInfo? Seal,
    bool HashValid);

/// <summary>
/// Iterates the records of one session file, decompressed and decoded. Each enumeration reads the file afresh,
/// so an active session can be followed. A torn tail ends the enumeration and is described by <see cref="Incomplete"/>;
/// bytes that are not a record throw <see cref="InvalidDataException"/> naming the offset.
/// </summary>
public sealed class RecordingReader
{
    public RecordingReader(string path)
    {
        Path = path;
        using var scanner = new RecordScanner(path);
        if (scanner.HeaderProblem is { } problem)
        {
            throw new InvalidDataException($"{path}: {problem}");
        }

        if (!scanner.TryReadNext(out var first) || first.Header.Type != RecordType.Start)
        {
            throw new InvalidDataException($"{path}: the file does not begin with a start record");
        }

        using var decompressor = new PayloadDecompressor();
        Metadata = RecordPayloads.ReadStart(decompressor.Decode(first.Header, first.StoredPayload), out var started);
        RecordingStartedAt = started;
    }

    public string Path { get; }
    public SessionMetadata Metadata { get; }

    /// <summary>Wall-clock time of elapsed zero; each record's timestamp is this plus its monotonic offset.</summary>
    public DateTimeOffset RecordingStartedAt { get; }

    /// <summary>After an enumeration: why it stopped before the end of the file (a torn or truncated last record), else null.</summary>
    public string? Incomplete { get; private set; }

    public IEnumerable<SessionRecord> ReadRecords()
    {
        Incomplete = null;
        using var scanner = new RecordScanner(Path);
        using var decompressor = new PayloadDecompressor();
        while (scanner.TryReadNext(out var record))
        {
            yield return Decode(record, decompressor);
        }

        if (scanner.End == ScanEnd.Malformed)
        {
            throw new InvalidDataException($"{Path}: {scanner.EndProblem} (offset {scanner.EndOffset})");
        }

        if (scanner.End == ScanEnd.Truncated)
        {
            Incomplete = $"{scanner.EndProblem} (offset {scanner.EndOffset})";
        }
    }

    private SessionRecord Decode(ScannedRecord record, PayloadDecompressor decompressor)
    {
        var header = record.Header;
        var elapsed = TimeSpan.FromTicks(header.ElapsedTicks);
        try
        {
            RecordDirection? direction = null;
            ReadOnlyMemory<byte> data = default;
            string? eventType = null;
            JsonObject? fields = null;
            SealInfo? seal = null;
            switch (header.Type)
            {
                case RecordType.Data:
                    direction = (RecordDirection)header.Direction;
                    data = decompressor.Decode(header, record.StoredPayload);
                    break;
                case RecordType.Event:
                    (eventType, fields) = RecordPayloads.ReadEvent(decompressor.Decode(header, record.StoredPayload));
                    break;
                case RecordType.Start or RecordType.End:
                    fields = RecordPayloads.Parse(decompressor.Decode(header, record.StoredPayload));
                    break;
                case RecordType.Seal:
                    seal = RecordPayloads.ReadSeal(record.StoredPayload.AsSpan(0, Math.Max(0, record.StoredPayload.Length - RecordingFormat.SignatureSize)));
                    break;
            }

            return new SessionRecord(record.Number, record.Offset, header.Type, elapsed, RecordingStartedAt + elapsed,
                direction, data, eventType, fields, seal, record.HashMatches);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{Path}: record {record.Number} at offset {record.Offset} cannot be decoded: {e.Message}", e);
        }
    }
}
