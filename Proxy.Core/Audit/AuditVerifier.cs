using System.Text.Json;
using HoopProxy.Core.Recording;

namespace HoopProxy.Core.Audit;

/// <summary>
/// Checks a log line by line in one pass: each line against its hash, each link of the chain, the sequence numbers
/// (telling removed, reordered and inserted lines apart), the required fields of every event, and every checkpoint's
/// signature against the keys it was told to trust. It only reads; it never repairs. Memory stays bounded: links are
/// checked within a window of the last <see cref="Window"/> sequence numbers, which covers any local reordering.
/// </summary>
/// <param name="trustedPublicKeys">Ed25519 public keys whose checkpoints count; null checks no signature (and says so).</param>
public sealed class AuditVerifier(IReadOnlyCollection<byte[]>? trustedPublicKeys)
{
    private const int Window = 100_000;

    public AuditVerificationReport Verify(string path)
    {
        if (!File.Exists(path))
        {
            return new AuditVerificationReport(path, [new AuditProblem(AuditProblemKind.Malformed, 0, "the file does not exist")], [], 0, 0, 0, null, null, null);
        }

        return Verify(AuditLineReader.ReadLines(path), path);
    }

    public AuditVerificationReport Verify(IEnumerable<AuditRawLine> lines, string name) => new Pass(trustedPublicKeys, name).Run(lines);

    private sealed class Seen(long line, string hash, string prev)
    {
        public long Line { get; } = line;
        public string Hash { get; } = hash;
        public string Prev { get; } = prev;
        public List<Seen>? Duplicates { get; set; }
    }

    /// <summary>Sequence numbers expected but not found, and the line before which they should have been.</summary>
    private sealed record MissingRange(long From, long To, long BeforeLine);

    private sealed class Pass(IReadOnlyCollection<byte[]>? trusted, string name)
    {
        private readonly List<AuditProblem> _problems = [];
        private readonly List<AuditWarning> _warnings = [];
        private readonly Dictionary<long, Seen> _bySeq = [];
        private readonly Queue<long> _windowOrder = new();
        private readonly List<MissingRange> _missing = [];
        private readonly List<long> _duplicated = [];
        private long _expected = 1;
        private long _lines;
        private long _events;
        private long _checkpoints;
        private long? _previousCheckpointSeq;
        private long? _lastGoodCheckpointLine;
        private long _lastLineNumber;
        private long _droppedEvents;
        private long _droppedLine;
        private AuditLine? _head;

        public AuditVerificationReport Run(IEnumerable<AuditRawLine> lines)
        {
            foreach (var raw in lines)
            {
                if (raw.Terminated)
                {
                    _lastLineNumber = raw.Number;
                }

                Check(raw);
            }

            Conclude();
            return new AuditVerificationReport(name, [.. _problems.OrderBy(p => p.Line).ThenBy(p => p.Kind)], _warnings, _lines, _events, _checkpoints,
                _head?.Seq, _head?.StatedHash, _lastGoodCheckpointLine);
        }

        private void Problem(AuditProblemKind kind, long line, string message) => _problems.Add(new AuditProblem(kind, line, message));

        private void Check(AuditRawLine raw)
        {
            if (!raw.Terminated)
            {
                Problem(AuditProblemKind.Incomplete, raw.Number,
                    $"the file ends inside this line (at byte {raw.Offset + raw.Bytes.Length}, no newline): a crash during a write, or the file was truncated");
                return;
            }

            _lines++;
            if (!AuditLine.TryParse(raw, out var line, out var malformed))
            {
                Problem(AuditProblemKind.Malformed, raw.Number, $"the line {malformed}");
                return;
            }

            _head = line;
            if (!line.HashMatches)
            {
                Problem(AuditProblemKind.Changed, line.Number, $"seq {line.Seq} does not match its hash: the line was edited after it was written");
            }

            var first = Place(line);
            if (first)
            {
                CheckLinks(line);
            }

            if (line.IsCheckpoint)
            {
                CheckCheckpoint(line);
            }
            else
            {
                CheckEvent(line);
            }
        }

        /// <summary>Checks the line's seq against the one expected; false when it repeats one already seen.</summary>
        private bool Place(AuditLine line)
        {
            var seq = line.Seq;
            if (seq == _expected)
            {
                _expected++;
            }
            else if (seq > _expected)
            {
                _missing.Add(new MissingRange(_expected, seq - 1, line.Number));
                _expected = seq + 1;
            }
            else if (TakeMissing(seq) is { } beforeLine)
            {
                Problem(AuditProblemKind.Reordered, line.Number, $"seq {seq} is out of order: it belongs before line {beforeLine}");
            }
            else if (_bySeq.TryGetValue(seq, out var earlier))
            {
                if (earlier.Duplicates is null)
                {
                    earlier.Duplicates = [];
                    _duplicated.Add(seq);
                }

                earlier.Duplicates.Add(new Seen(line.Number, line.StatedHash, line.Prev));
                return false;
            }
            else
            {
                Problem(AuditProblemKind.Reordered, line.Number, $"seq {seq} comes after seq {_expected - 1}: the line is out of order or repeated");
                return false;
            }

            Remember(seq, new Seen(line.Number, line.StatedHash, line.Prev));
            return true;
        }

        private long? TakeMissing(long seq)
        {
            var index = _missing.FindIndex(r => seq >= r.From && seq <= r.To);
            if (index < 0)
            {
                return null;
            }

            var range = _missing[index];
            _missing.RemoveAt(index);
            if (range.From < seq)
            {
                _missing.Add(range with { To = seq - 1 });
            }

            if (seq < range.To)
            {
                _missing.Add(range with { From = seq + 1 });
            }

            return range.BeforeLine;
        }

        private void Remember(long seq, Seen seen)
        {
            _bySeq[seq] = seen;
            _windowOrder.Enqueue(seq);
            if (_windowOrder.Count > Window)
            {
                _bySeq.Remove(_windowOrder.Dequeue());
            }
        }

        /// <summary>
        /// The link to the line with the previous seq and, when the next seq came earlier (a reordering), from it. Links
        /// to a repeated seq wait for the end, where the repetition is resolved.
        /// </summary>
        private void CheckLinks(AuditLine line)
        {
            if (line.Seq == 1)
            {
                if (line.Prev != AuditLineFormat.ZeroHash)
                {
                    Problem(AuditProblemKind.ChainBroken, line.Number, "seq 1 does not start a chain: its prev is not zeros");
                }
            }
            else if (_bySeq.TryGetValue(line.Seq - 1, out var before) && before.Duplicates is null && line.Prev != before.Hash)
            {
                Problem(AuditProblemKind.ChainBroken, line.Number,
                    $"seq {line.Seq} does not follow line {before.Line} (seq {line.Seq - 1}): its prev is not that line's hash, so that line was changed and its hash recomputed, or this line's prev was changed");
            }

            if (_bySeq.TryGetValue(line.Seq + 1, out var after) && after.Prev != line.StatedHash)
            {
                Problem(AuditProblemKind.ChainBroken, after.Line,
                    $"seq {line.Seq + 1} does not follow line {line.Number} (seq {line.Seq}): its prev is not that line's hash");
            }
        }

        private void CheckEvent(AuditLine line)
        {
            _events++;
            var missing = AuditFields.Required.Where(path => line.Find(path) is null).ToList();
            if (missing.Count > 0)
            {
                Problem(AuditProblemKind.MissingField, line.Number, $"the event lacks {string.Join(", ", missing)}");
            }

            if (line.Type == AuditEventType.AuditLog.Name() && line.String(AuditFields.Action) == "started"
                && line.Find("details.torn_line") is { ValueKind: JsonValueKind.Object } torn)
            {
                _warnings.Add(new AuditWarning(AuditWarningKind.RecoveredAfterCrash, line.Number,
                    $"the proxy restarted after a crash and cut off an unfinished line ({torn.GetProperty("bytes")} bytes at offset {torn.GetProperty("offset")}, kept as {torn.GetProperty("saved_as").GetString()})"));
            }
        }

        private void CheckCheckpoint(AuditLine line)
        {
            _checkpoints++;
            var checkpoint = line.Find(AuditCheckpointFields.Checkpoint);
            if (!AuditLineFormat.TrySplitSignature(line.Covered, out var signed, out var signature)
                || checkpoint is not { ValueKind: JsonValueKind.Object } fields
                || !TryPublicKey(fields, out var publicKey))
            {
                Problem(AuditProblemKind.Malformed, line.Number, "the checkpoint lacks its signature, its checkpoint object or its public key");
                return;
            }

            var previous = AuditLine.WholeNumber(fields, AuditCheckpointFields.PreviousCheckpoint);
            if (previous != _previousCheckpointSeq)
            {
                Problem(AuditProblemKind.CheckpointMismatch, line.Number,
                    $"the checkpoint names {Describe(previous)} as the one before it, but the one before it in the file is {Describe(_previousCheckpointSeq)}: a checkpoint was removed or inserted");
            }

            _previousCheckpointSeq = line.Seq;
            if (AuditLine.WholeNumber(fields, AuditCheckpointFields.DroppedEvents) is { } count && count > 0)
            {
                (_droppedEvents, _droppedLine) = (count, line.Number);
            }

            if (trusted is null)
            {
                _lastGoodCheckpointLine = line.Number;
                return;
            }

            var keyId = RecordingSigningKey.FingerprintOf(publicKey);
            if (!trusted.Any(k => k.AsSpan().SequenceEqual(publicKey)))
            {
                Problem(AuditProblemKind.UntrustedKey, line.Number, $"the checkpoint is signed by key {keyId}, which is not the log's key: it was forged, or the key is not the one given");
            }
            else if (!RecordingSigningKey.Verify(publicKey, signed, signature))
            {
                Problem(AuditProblemKind.CheckpointSignature, line.Number,
                    "the checkpoint's signature does not verify: the checkpoint was forged, or it or the chain head it signs was changed after signing");
            }
            else
            {
                _lastGoodCheckpointLine = line.Number;
            }

            static string Describe(long? seq) => seq is { } s ? $"seq {s}" : "none";
        }

        private static bool TryPublicKey(JsonElement fields, out byte[] publicKey)
        {
            publicKey = [];
            if (!fields.TryGetProperty(AuditCheckpointFields.PublicKey, out var value) || value.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            try
            {
                publicKey = Convert.FromBase64String(value.GetString()!);
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        private void Conclude()
        {
            foreach (var range in _missing)
            {
                var count = range.To - range.From + 1;
                Problem(AuditProblemKind.Removed, range.BeforeLine, count == 1
                    ? $"seq {range.From} is missing before this line: a line was removed"
                    : $"seq {range.From}–{range.To} are missing before this line: {count} lines were removed");
            }

            foreach (var seq in _duplicated)
            {
                ResolveRepetition(seq);
            }

            if (_droppedEvents > 0)
            {
                _warnings.Add(new AuditWarning(AuditWarningKind.EventsDropped, _droppedLine,
                    $"the checkpoint counts {_droppedEvents} events the proxy could not log (the log fails open)"));
            }

            var unsigned = _lastLineNumber - (_lastGoodCheckpointLine ?? 0);
            if (_lines > 0 && unsigned > 0)
            {
                var from = (_lastGoodCheckpointLine ?? 0) + 1;
                _warnings.Add(new AuditWarning(AuditWarningKind.NotCheckpointed, null, unsigned == 1
                    ? $"line {from} is not yet checkpointed: only the hash chain protects it until the proxy signs the next checkpoint"
                    : $"lines {from}–{_lastLineNumber} are not yet checkpointed: only the hash chain protects them until the proxy signs the next checkpoint"));
            }

            if (trusted is null)
            {
                _warnings.Add(new AuditWarning(AuditWarningKind.SignaturesNotChecked, null, "checkpoint signatures were not checked (no public key was given)"));
            }
        }

        /// <summary>Of the lines that carry one seq, the one the next seq links to is the chain's; the others were inserted.</summary>
        private void ResolveRepetition(long seq)
        {
            var first = _bySeq.GetValueOrDefault(seq);
            if (first?.Duplicates is null)
            {
                return;
            }

            List<Seen> candidates = [first, .. first.Duplicates];
            var next = _bySeq.GetValueOrDefault(seq + 1);
            var genuine = next is null ? null : candidates.FirstOrDefault(c => c.Hash == next.Prev);
            if (genuine is null || next is null)
            {
                Problem(AuditProblemKind.Inserted, candidates[1].Line,
                    $"lines {string.Join(", ", candidates.Select(c => c.Line))} all carry seq {seq}: all but one were inserted");
                return;
            }

            if (_bySeq.GetValueOrDefault(seq - 1) is { } before && genuine.Prev != before.Hash)
            {
                Problem(AuditProblemKind.ChainBroken, genuine.Line, $"seq {seq} does not follow line {before.Line} (seq {seq - 1})");
            }

            foreach (var inserted in candidates.Where(c => c != genuine))
            {
                Problem(AuditProblemKind.Inserted, inserted.Line,
                    $"the line was inserted: it repeats seq {seq} of line {genuine.Line}, which line {next.Line} (seq {seq + 1}) continues the chain from");
            }
        }
    }
}
