using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace HoopProxy.Core.Recording;

/// <summary>One sealed session as listed in the index.</summary>
public sealed record IndexEntry(
    long Number,
    string SessionId,
    string FileName,
    long RecordCount,
    long FileBytes,
    string SealHash,
    string EndReason,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    string Protocol,
    string Target,
    string? Identity,
    long ClientBytes,
    long ServerBytes,
    string PreviousLineHash);

/// <summary>A line of the index file as read, with its position for reports.</summary>
internal sealed record IndexLine(int LineNumber, long Offset, byte[] Bytes);

/// <summary>
/// The append-only list of sealed sessions, <c>index.log</c>: one line per session,
/// <c>JSON SPACE base64(Ed25519 signature of the JSON) LF</c>. The JSON's <c>prev</c> is the SHA-256 of the
/// previous line (without its LF), all zeros for the first, so removing, changing or reordering lines breaks the chain.
/// </summary>
internal sealed class RecordingIndex : IDisposable
{
    public static readonly string ZeroHash = new('0', RecordingFormat.HashSize * 2);

    private readonly FileStream _file;
    private readonly RecordingSigningKey _key;

    private RecordingIndex(FileStream file, RecordingSigningKey key, string lastLineHash, long nextNumber, HashSet<string> sessions)
    {
        _file = file;
        _key = key;
        LastLineHash = lastLineHash;
        NextNumber = nextNumber;
        Sessions = sessions;
    }

    public string LastLineHash { get; private set; }
    public long NextNumber { get; private set; }

    /// <summary>Session ids the index lists (whether or not their lines verify).</summary>
    public HashSet<string> Sessions { get; }

    /// <summary>Bytes of an unterminated last line removed on open (a crash during an append); 0 normally.</summary>
    public long TornBytesRemoved { get; private set; }

    public static RecordingIndex Open(string directory, RecordingSigningKey key)
    {
        var path = Path.Combine(directory, RecordingFormat.IndexFileName);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        try
        {
            var content = new byte[file.Length];
            file.ReadExactly(content);
            var complete = content.AsSpan().LastIndexOf((byte)'\n') + 1;
            var torn = content.Length - complete;
            if (torn > 0)
            {
                // An append that never finished: the session it named is still sealed and gets re-indexed by recovery.
                file.SetLength(complete);
            }

            file.Position = complete;
            var lastHash = ZeroHash;
            long next = 1;
            var sessions = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in SplitLines(content.AsSpan(0, complete).ToArray()))
            {
                lastHash = HashLine(line.Bytes);
                if (TryParse(line.Bytes, out var entry, out _, out _, out _))
                {
                    next = entry.Number + 1;
                    sessions.Add(entry.SessionId);
                }
                else
                {
                    next++;
                }
            }

            return new RecordingIndex(file, key, lastHash, next, sessions) { TornBytesRemoved = torn };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Appends and fsyncs one line; returns the new head hash (worth noting outside the machine: it anchors the whole chain).</summary>
    public string Append(string sessionId, string fileName, long recordCount, long fileBytes, byte[] sealHash, SealInfo seal, SessionMetadata metadata)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("n", NextNumber);
            w.WriteString("sessionId", sessionId);
            w.WriteString("file", fileName);
            w.WriteNumber("records", recordCount);
            w.WriteNumber("bytes", fileBytes);
            w.WriteString("sealHash", RecordPayloads.Hex(sealHash));
            w.WriteString("endReason", seal.EndReason);
            w.WriteString("startedAt", RecordPayloads.FormatTime(seal.FirstTimestamp));
            w.WriteString("endedAt", RecordPayloads.FormatTime(seal.LastTimestamp));
            w.WriteString("protocol", metadata.Protocol);
            w.WriteString("target", metadata.Target);
            w.WriteString("identity", metadata.Identity);
            w.WriteNumber("clientBytes", seal.ClientBytes);
            w.WriteNumber("serverBytes", seal.ServerBytes);
            w.WriteString("prev", LastLineHash);
            w.WriteEndObject();
        }

        var json = buffer.WrittenSpan;
        var signature = Convert.ToBase64String(_key.Sign(json));
        var line = new byte[json.Length + 1 + signature.Length];
        json.CopyTo(line);
        line[json.Length] = (byte)' ';
        Encoding.ASCII.GetBytes(signature, line.AsSpan(json.Length + 1));

        _file.Write(line);
        _file.Write("\n"u8);
        _file.Flush(flushToDisk: true);
        LastLineHash = HashLine(line);
        NextNumber++;
        Sessions.Add(sessionId);
        return LastLineHash;
    }

    public static string HashLine(ReadOnlySpan<byte> line) => RecordPayloads.Hex(SHA256.HashData(line));

    public static List<IndexLine> SplitLines(byte[] content)
    {
        var lines = new List<IndexLine>();
        var start = 0;
        var number = 1;
        while (start < content.Length)
        {
            var newline = content.AsSpan(start).IndexOf((byte)'\n');
            var end = newline < 0 ? content.Length : start + newline;
            lines.Add(new IndexLine(number++, start, content.AsSpan(start, end - start).ToArray()));
            start = end + 1;
        }

        return lines;
    }

    /// <summary>Splits a line into its JSON and signature and reads the entry; false with a reason when it cannot.</summary>
    public static bool TryParse(byte[] line, out IndexEntry entry, out ReadOnlyMemory<byte> json, out byte[] signature, out string? problem)
    {
        entry = null!;
        json = default;
        signature = [];
        var space = line.AsSpan().LastIndexOf((byte)' ');
        if (space < 0)
        {
            problem = "the line has no signature";
            return false;
        }

        json = line.AsMemory(0, space);
        try
        {
            signature = Convert.FromBase64String(Encoding.ASCII.GetString(line, space + 1, line.Length - space - 1));
            var o = RecordPayloads.Parse(json.Span);
            T Req<T>(string name) => (o[name] ?? throw new InvalidDataException($"no \"{name}\"")).GetValue<T>();
            DateTimeOffset Time(string name) => DateTimeOffset.Parse(Req<string>(name), System.Globalization.CultureInfo.InvariantCulture);
            entry = new IndexEntry(
                Req<long>("n"), Req<string>("sessionId"), Req<string>("file"), Req<long>("records"), Req<long>("bytes"),
                Req<string>("sealHash"), Req<string>("endReason"), Time("startedAt"), Time("endedAt"),
                Req<string>("protocol"), Req<string>("target"), o["identity"]?.GetValue<string>(),
                Req<long>("clientBytes"), Req<long>("serverBytes"), Req<string>("prev"));
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or InvalidOperationException)
        {
            problem = "the line is not a valid index entry: " + e.Message;
            return false;
        }

        problem = null;
        return true;
    }

    public void Dispose() => _file.Dispose();
}
