namespace HoopProxy.Core.Audit;

/// <summary>What opening an existing log found at its end, so the chain continues from it.</summary>
/// <param name="LastSeq">The last line's seq; 0 for an empty log.</param>
/// <param name="Head">The last line's hash; zeros for an empty log.</param>
/// <param name="LastCheckpointSeq">The last checkpoint's seq; null when there is none.</param>
/// <param name="NotCheckpointed">Lines after the last checkpoint (written before a crash, usually); the next checkpoint covers them.</param>
/// <param name="Torn">The unfinished last line moved aside, when the file ended inside one.</param>
public sealed record AuditTail(long LastSeq, string Head, long? LastCheckpointSeq, long NotCheckpointed, TornTail? Torn)
{
    public static readonly AuditTail Empty = new(0, AuditLineFormat.ZeroHash, null, 0, null);
}

/// <summary>Bytes after the last LF, cut from the log and kept in <paramref name="SavedAs"/> for forensics.</summary>
public sealed record TornTail(long Offset, long Bytes, string SavedAs);

/// <summary>
/// Reads the end of a log before appending to it: cuts a torn last line off (saving it beside the log), and checks the
/// lines since the last checkpoint — each hash, seq and link — so the chain continues from a head that holds. Only the
/// tail is read (back to the last checkpoint), so opening a long log costs no more than opening a short one.
/// </summary>
internal static class AuditTailReader
{
    private const int InitialWindow = 256 * 1024;

    public static AuditTail Recover(FileStream file, string path)
    {
        if (!file.CanSeek)
        {
            throw new AuditUnavailableException($"'{path}' is not a regular file; the audit log must be one, to be read back and continued");
        }

        var length = file.Length;
        if (length == 0)
        {
            return AuditTail.Empty;
        }

        for (long window = InitialWindow; ; window *= 4)
        {
            var start = Math.Max(0, length - window);
            var bytes = new byte[length - start];
            file.Position = start;
            file.ReadExactly(bytes);
            var lastLf = Array.LastIndexOf(bytes, (byte)'\n');
            var firstLineAt = start == 0 ? 0 : Array.IndexOf(bytes, (byte)'\n') + 1;
            if (start > 0 && (lastLf < 0 || firstLineAt > lastLf))
            {
                // Not one whole line in the window yet.
                continue;
            }

            var read = ReadLines(bytes, firstLineAt, lastLf + 1, start);
            var checkpoint = read.FindLastIndex(r => r.Line?.IsCheckpoint == true);
            if (checkpoint < 0 && start > 0)
            {
                continue;
            }

            // Lines before the last checkpoint are the verifier's business; from it on, the chain must hold. Checked
            // before anything is cut: a log that does not verify is left exactly as it was found.
            var tail = read[Math.Max(checkpoint, 0)..];
            if (tail.FirstOrDefault(r => r.Line is null) is { Raw: { } bad } unreadable)
            {
                throw Refuse($"the line at byte {bad.Offset} {unreadable.Problem}");
            }

            var lines = tail.Select(r => r.Line!).ToList();
            CheckChain(lines, startsFile: checkpoint < 0);
            var torn = CutTornTail(file, path, bytes.AsSpan(lastLf + 1), start + lastLf + 1);
            if (lines.Count == 0)
            {
                return AuditTail.Empty with { Torn = torn };
            }

            var last = lines[^1];
            return new AuditTail(last.Seq, last.StatedHash, checkpoint < 0 ? null : lines[0].Seq, lines.Count - (checkpoint < 0 ? 0 : 1), torn);
        }
    }

    private sealed record ReadLine(AuditRawLine Raw, AuditLine? Line, string Problem);

    private static List<ReadLine> ReadLines(byte[] bytes, int from, int to, long fileOffset)
    {
        var lines = new List<ReadLine>();
        using var stream = new MemoryStream(bytes, from, to - from, writable: false);
        foreach (var raw in AuditLineReader.ReadLines(stream))
        {
            var placed = raw with { Offset = raw.Offset + fileOffset + from };
            lines.Add(AuditLine.TryParse(placed, out var line, out var problem) ? new ReadLine(placed, line, "") : new ReadLine(placed, null, problem));
        }

        return lines;
    }

    /// <param name="startsFile">The lines start the file: the first must be seq 1 with a zero <c>prev</c>. Otherwise the
    /// first is a checkpoint, whose own link the next checkpoint's signature vouches for.</param>
    private static void CheckChain(List<AuditLine> lines, bool startsFile)
    {
        (long Seq, string Hash)? previous = startsFile ? (0, AuditLineFormat.ZeroHash) : null;
        foreach (var line in lines)
        {
            if (!line.HashMatches)
            {
                throw Refuse($"the line with seq {line.Seq} does not match its hash");
            }

            if (previous is { } p && (line.Seq != p.Seq + 1 || line.Prev != p.Hash))
            {
                throw Refuse($"the line with seq {line.Seq} does not follow the line before it (seq {p.Seq})");
            }

            previous = (line.Seq, line.StatedHash);
        }
    }

    private static TornTail? CutTornTail(FileStream file, string path, ReadOnlySpan<byte> torn, long offset)
    {
        if (torn.IsEmpty)
        {
            return null;
        }

        var savedAs = $"{path}.torn-{offset}";
        for (var n = 2; File.Exists(savedAs); n++)
        {
            savedAs = $"{path}.torn-{offset}.{n}";
        }

        File.WriteAllBytes(savedAs, torn.ToArray());
        file.SetLength(offset);
        file.Flush(flushToDisk: true);
        return new TornTail(offset, torn.Length, savedAs);
    }

    private static AuditUnavailableException Refuse(string problem) =>
        new($"the end of the audit log does not verify ({problem}); appending would continue a chain that does not hold. " +
            "Run 'hoopproxy audit verify', keep the file as evidence and move it aside to start a new log");
}
