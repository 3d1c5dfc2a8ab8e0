namespace HoopProxy.Core.Recording;

/// <summary>
/// Checks session files and the index against the trusted signing keys: every record's hash and sequence
/// number, the order of record types, the seal's counts, final hash, timestamps and signature, the index's
/// chain and signatures, and that index and directory list the same sessions. It reports; it never repairs.
/// </summary>
public sealed class RecordingVerifier
{
    private readonly byte[][] _trustedKeys;

    /// <param name="trustedPublicKeys">32-byte Ed25519 public keys whose seals are accepted (more than one during a key rotation).</param>
    public RecordingVerifier(IEnumerable<byte[]> trustedPublicKeys)
    {
        _trustedKeys = trustedPublicKeys.ToArray();
    }

    /// <summary>Everything in the directory, skipping <paramref name="activeSessions"/> (files still being written).</summary>
    public VerificationReport VerifyDirectory(string directory, IReadOnlySet<string>? activeSessions = null)
    {
        var problems = new List<VerificationProblem>();
        var entries = VerifyIndex(directory, problems);
        var skipped = new List<string>();
        var checkedSessions = 0;
        long records = 0;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(directory, "*" + RecordingFormat.FileExtension).Order(StringComparer.Ordinal))
        {
            var sessionId = Path.GetFileNameWithoutExtension(path);
            present.Add(sessionId);
            if (activeSessions?.Contains(sessionId) == true)
            {
                skipped.Add(sessionId);
                continue;
            }

            checkedSessions++;
            records += CheckAgainstIndex(path, sessionId, entries, problems);
        }

        foreach (var (sessionId, (entry, line)) in entries)
        {
            if (!present.Contains(sessionId))
            {
                problems.Add(new VerificationProblem(ProblemKind.IndexFileMissing, Path.Combine(directory, entry.FileName), line, null,
                    $"index line {line} lists session {sessionId}, but its file does not exist (deleted or renamed)"));
            }
        }

        return new VerificationReport(problems, checkedSessions, records, skipped);
    }

    /// <summary>One session: its file, its index line, and the index chain that vouches for that line.</summary>
    public VerificationReport VerifySession(string directory, string sessionId)
    {
        var problems = new List<VerificationProblem>();
        var entries = VerifyIndex(directory, problems);
        var path = Path.Combine(directory, sessionId + RecordingFormat.FileExtension);
        if (!File.Exists(path))
        {
            var line = entries.TryGetValue(sessionId, out var e) ? e.Line : (long?)null;
            problems.Add(new VerificationProblem(line is null ? ProblemKind.NotInIndex : ProblemKind.IndexFileMissing, path, line, null,
                $"session {sessionId} has no file{(line is null ? " and no index line" : "")}"));
            return new VerificationReport(problems, 0, 0, []);
        }

        var records = CheckAgainstIndex(path, sessionId, entries, problems);
        return new VerificationReport(problems, 1, records, []);
    }

    private long CheckAgainstIndex(string path, string sessionId, Dictionary<string, (IndexEntry Entry, long Line)> entries, List<VerificationProblem> problems)
    {
        var result = VerifyFile(path, sessionId, problems);
        if (!entries.TryGetValue(sessionId, out var indexed))
        {
            problems.Add(new VerificationProblem(ProblemKind.NotInIndex, path, null, null,
                $"session {sessionId} is not listed in the index (its index line was removed, or it was never sealed)"));
            return result.Records;
        }

        var (entry, line) = indexed;
        var index = Path.Combine(Path.GetDirectoryName(path)!, RecordingFormat.IndexFileName);
        if (!string.Equals(entry.FileName, Path.GetFileName(path), StringComparison.Ordinal))
        {
            problems.Add(new VerificationProblem(ProblemKind.IndexMismatch, index, line, null, $"index line {line} names file {entry.FileName}, not {Path.GetFileName(path)}"));
        }

        if (!string.Equals(entry.SealHash, result.SealHash, StringComparison.Ordinal))
        {
            problems.Add(new VerificationProblem(ProblemKind.IndexMismatch, path, null, null,
                $"index line {line} records seal hash {entry.SealHash}, the file's seal hash is {result.SealHash ?? "(no seal)"}"));
        }

        if (entry.FileBytes != result.Length || entry.RecordCount != result.Records)
        {
            problems.Add(new VerificationProblem(ProblemKind.IndexMismatch, path, null, null,
                $"index line {line} records {entry.RecordCount} records in {entry.FileBytes} bytes, the file holds {result.Records} records in {result.Length} bytes"));
        }

        return result.Records;
    }

    internal readonly record struct FileResult(string? SealHash, long Length, long Records);

    /// <summary>Checks one session file on its own (no index); problems are appended to <paramref name="problems"/>.</summary>
    internal FileResult VerifyFile(string path, string expectedSessionId, List<VerificationProblem> problems)
    {
        void Add(ProblemKind kind, long? record, long? offset, string message) =>
            problems.Add(new VerificationProblem(kind, path, record, offset, message));

        using var scanner = new RecordScanner(path);
        if (scanner.HeaderProblem is { } headerProblem)
        {
            Add(ProblemKind.FileHeader, null, 0, headerProblem);
            return new FileResult(null, scanner.Length, 0);
        }

        using var decompressor = new PayloadDecompressor();
        long count = 0;
        var lastElapsed = long.MinValue;
        var sawEnd = false;
        ScannedRecord? seal = null;
        DateTimeOffset? wallStart = null;
        long firstElapsed = 0, lastElapsedBeforeSeal = 0;
        while (scanner.TryReadNext(out var record))
        {
            count++;
            var n = record.Number;
            var type = record.Header.Type;
            if (seal is not null)
            {
                Add(ProblemKind.AfterSeal, n, record.Offset, $"a {type} record follows the seal (appended after the session was sealed)");
                continue;
            }

            if (!record.HashMatches)
            {
                Add(ProblemKind.HashMismatch, n, record.Offset,
                    $"the {type} record's stored hash {RecordPayloads.Hex(record.StoredHash)[..16]}… differs from the hash of its bytes {RecordPayloads.Hex(record.ComputedHash)[..16]}… (changed, reordered or its predecessor changed)");
            }

            if (record.Header.Sequence != n)
            {
                Add(ProblemKind.SequenceMismatch, n, record.Offset, $"record {n} carries sequence number {record.Header.Sequence} (records removed or reordered)");
            }

            if (record.Header.ElapsedTicks < lastElapsed)
            {
                Add(ProblemKind.TimeRegression, n, record.Offset, "the record's timestamp is earlier than its predecessor's");
            }

            lastElapsed = Math.Max(lastElapsed, record.Header.ElapsedTicks);
            if (n == 0 && type != RecordType.Start)
            {
                Add(ProblemKind.StartRecord, n, record.Offset, $"the first record is a {type} record, not a start record");
            }

            try
            {
                switch (type)
                {
                    case RecordType.Start when n != 0:
                        Add(ProblemKind.RecordOrder, n, record.Offset, "a second start record");
                        break;
                    case RecordType.Start:
                        var metadata = RecordPayloads.ReadStart(decompressor.Decode(record.Header, record.StoredPayload), out var started);
                        wallStart = started;
                        firstElapsed = record.Header.ElapsedTicks;
                        if (!string.Equals(metadata.SessionId, expectedSessionId, StringComparison.Ordinal))
                        {
                            Add(ProblemKind.StartRecord, n, record.Offset, $"the start record names session {metadata.SessionId}, the file name says {expectedSessionId}");
                        }

                        break;
                    case RecordType.Data or RecordType.Event:
                        if (sawEnd)
                        {
                            Add(ProblemKind.RecordOrder, n, record.Offset, $"a {type} record after the end record");
                        }

                        var plain = decompressor.Decode(record.Header, record.StoredPayload);
                        if (type == RecordType.Event)
                        {
                            RecordPayloads.ReadEvent(plain);
                        }

                        break;
                    case RecordType.End:
                        if (sawEnd)
                        {
                            Add(ProblemKind.RecordOrder, n, record.Offset, "a second end record");
                        }

                        sawEnd = true;
                        RecordPayloads.ReadEnd(decompressor.Decode(record.Header, record.StoredPayload));
                        break;
                    case RecordType.Seal:
                        seal = record;
                        CheckSeal(record, expectedSessionId, sawEnd, wallStart, firstElapsed, lastElapsedBeforeSeal, Add);
                        break;
                }
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or InvalidOperationException or ArgumentException)
            {
                Add(ProblemKind.PayloadUnreadable, n, record.Offset, $"the {type} record's payload cannot be decoded: {e.Message}");
            }

            if (type != RecordType.Seal)
            {
                lastElapsedBeforeSeal = record.Header.ElapsedTicks;
            }
        }

        switch (scanner.End)
        {
            case ScanEnd.Truncated:
                Add(ProblemKind.Truncated, count, scanner.EndOffset, scanner.EndProblem ?? "the file ends inside a record");
                break;
            case ScanEnd.Malformed:
                Add(ProblemKind.Malformed, count, scanner.EndOffset, scanner.EndProblem ?? "bytes that are not a record");
                break;
        }

        if (seal is null)
        {
            Add(ProblemKind.NotSealed, count, scanner.EndOffset, "the session has no seal (truncated, or never sealed)");
        }

        return new FileResult(seal is null ? null : RecordPayloads.Hex(seal.StoredHash), scanner.Length, count);
    }

    private void CheckSeal(ScannedRecord record, string expectedSessionId, bool sawEnd, DateTimeOffset? wallStart, long firstElapsed, long lastElapsed,
        Action<ProblemKind, long?, long?, string> add)
    {
        var n = record.Number;
        if (record.Header.Flags != 0 || record.StoredPayload.Length <= RecordingFormat.SignatureSize)
        {
            add(ProblemKind.SealMismatch, n, record.Offset, "the seal is compressed or too short to hold a signature");
            return;
        }

        if (!sawEnd)
        {
            add(ProblemKind.RecordOrder, n, record.Offset, "the seal is not preceded by an end record");
        }

        var json = record.StoredPayload.AsSpan(0, record.StoredPayload.Length - RecordingFormat.SignatureSize);
        var signature = record.StoredPayload.AsSpan(json.Length);
        var seal = RecordPayloads.ReadSeal(json);
        if (!string.Equals(seal.SessionId, expectedSessionId, StringComparison.Ordinal))
        {
            add(ProblemKind.SealMismatch, n, record.Offset, $"the seal names session {seal.SessionId}");
        }

        if (seal.RecordCount != n)
        {
            add(ProblemKind.SealMismatch, n, record.Offset, $"the seal counts {seal.RecordCount} records before it, the file holds {n}");
        }

        if (!string.Equals(seal.FinalHash, RecordPayloads.Hex(record.PreviousHash), StringComparison.Ordinal))
        {
            add(ProblemKind.SealMismatch, n, record.Offset, "the seal's final hash is not the hash of the record before it");
        }

        if (wallStart is { } start
            && (seal.FirstTimestamp != start + TimeSpan.FromTicks(firstElapsed) || seal.LastTimestamp != start + TimeSpan.FromTicks(lastElapsed)))
        {
            add(ProblemKind.SealMismatch, n, record.Offset, "the seal's first or last timestamp does not match the records");
        }

        if (!_trustedKeys.Any(k => k.AsSpan().SequenceEqual(seal.PublicKey)))
        {
            add(ProblemKind.UntrustedKey, n, record.Offset, $"the seal was signed by key {RecordingSigningKey.FingerprintOf(seal.PublicKey)}, which is not trusted");
        }
        else if (!RecordingSigningKey.Verify(seal.PublicKey,
                     SessionFileWriter.SealSignedMessage(record.PreviousHash, record.HeaderBytes, json), signature))
        {
            add(ProblemKind.SignatureInvalid, n, record.Offset, "the seal's Ed25519 signature does not verify");
        }
    }

    /// <summary>Checks the index's chain and signatures; returns the entries by session id with their line numbers.</summary>
    internal Dictionary<string, (IndexEntry Entry, long Line)> VerifyIndex(string directory, List<VerificationProblem> problems)
    {
        var entries = new Dictionary<string, (IndexEntry, long)>(StringComparer.Ordinal);
        var path = Path.Combine(directory, RecordingFormat.IndexFileName);
        if (!File.Exists(path))
        {
            return entries;
        }

        var content = File.ReadAllBytes(path);
        if (content.Length > 0 && content[^1] != (byte)'\n')
        {
            problems.Add(new VerificationProblem(ProblemKind.IndexLine, path, null, content.AsSpan().LastIndexOf((byte)'\n') + 1,
                "the last line is not terminated (an interrupted append, or the file was cut)"));
        }

        var previous = RecordingIndex.ZeroHash;
        long expectedNumber = 1;
        foreach (var line in RecordingIndex.SplitLines(content))
        {
            void Add(ProblemKind kind, string message) => problems.Add(new VerificationProblem(kind, path, line.LineNumber, line.Offset, message));

            var lineHash = RecordingIndex.HashLine(line.Bytes);
            if (!RecordingIndex.TryParse(line.Bytes, out var entry, out var json, out var signature, out var problem))
            {
                Add(ProblemKind.IndexLine, problem ?? "unreadable line");
                previous = lineHash;
                expectedNumber++;
                continue;
            }

            if (!string.Equals(entry.PreviousLineHash, previous, StringComparison.Ordinal))
            {
                Add(ProblemKind.IndexChain, $"line {line.LineNumber} (session {entry.SessionId}) does not carry the hash of the line before it (a line was removed, changed or reordered)");
            }

            if (entry.Number != expectedNumber)
            {
                Add(ProblemKind.IndexChain, $"line {line.LineNumber} is entry {entry.Number}, expected {expectedNumber}");
            }

            if (!_trustedKeys.Any(k => RecordingSigningKey.Verify(k, json.Span, signature)))
            {
                Add(ProblemKind.IndexSignature, $"line {line.LineNumber} (session {entry.SessionId}) is not signed by a trusted key");
            }

            if (!entries.TryAdd(entry.SessionId, (entry, line.LineNumber)))
            {
                Add(ProblemKind.DuplicateIndexEntry, $"session {entry.SessionId} is listed again");
            }

            previous = lineHash;
            expectedNumber = entry.Number + 1;
        }

        return entries;
    }
}
