using System.Buffers;

namespace HoopProxy.Postgres.Masking;

/// <summary>
/// Masks every match of a set of detectors in one text value with one operator. Free text, JSON and PostgreSQL
/// array literals are all scanned as text (JSON <c>\uXXXX</c> escapes are decoded first, see
/// <see cref="UnicodeEscapeView"/>). Overlapping matches of different detectors are resolved by
/// <see cref="MatchCandidates"/>: longest wins, then detector order. A value with no match costs no allocation.
/// Thread-safe: it holds only configuration.
/// </summary>
public sealed class ValueMasker
{
    private const int StackCandidates = 32;
    private const int StackDetectors = 64;

    private readonly IDetector[] _detectors;

    /// <param name="detectors">In precedence order for equally long overlapping matches.</param>
    /// <param name="maskOperator">What replaces each match (or nulls the value).</param>
    public ValueMasker(IEnumerable<IDetector> detectors, MaskOperator maskOperator)
    {
        ArgumentNullException.ThrowIfNull(detectors);
        ArgumentNullException.ThrowIfNull(maskOperator);
        _detectors = [.. detectors];
        if (_detectors.Length == 0)
        {
            throw new ArgumentException("a value masker needs at least one detector", nameof(detectors));
        }

        Operator = maskOperator;
        // A backslash too: a JSON \uXXXX escape can spell any required character.
        _required = _detectors.All(d => d.RequiredCharacters is not null)
            ? SearchValues.Create(string.Concat(_detectors.Select(d => d.RequiredCharacters)) + "\\")
            : null;
    }

    /// <summary>Characters one of which every match of every detector contains; null when a detector cannot say.</summary>
    private readonly SearchValues<char>? _required;

    public IReadOnlyList<IDetector> Detectors => _detectors;

    public MaskOperator Operator { get; }

    /// <summary>Masks <paramref name="value"/>; when nothing matches the result holds the same string instance.</summary>
    public MaskedValue Mask(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryMask(value, default, out var masked) ? masked : MaskedValue.Unchanged(value);
    }

    /// <summary>False (and no allocation) when nothing matches; otherwise the masked value.</summary>
    public bool TryMask(ReadOnlySpan<char> value, out MaskedValue masked) => TryMask(value, default, out masked);

    /// <summary>
    /// As <see cref="TryMask(ReadOnlySpan{char}, out MaskedValue)"/>, and adds each detector's masked matches to
    /// <paramref name="matchCounts"/> (indexed like <see cref="Detectors"/>; empty to skip), so a caller can total a
    /// whole result set without allocating per row.
    /// </summary>
    public bool TryMask(ReadOnlySpan<char> value, Span<int> matchCounts, out MaskedValue masked)
    {
        if (!matchCounts.IsEmpty && matchCounts.Length < _detectors.Length)
        {
            throw new ArgumentException($"needs one counter per detector ({_detectors.Length})", nameof(matchCounts));
        }

        if (_required is not null && !value.ContainsAny(_required))
        {
            masked = default;
            return false;
        }

        var view = UnicodeEscapeView.Create(value);
        var candidates = new MatchCandidates(stackalloc MatchCandidate[StackCandidates]);
        try
        {
            var scanned = view.Text;
            for (int detector = 0; detector < _detectors.Length; detector++)
            {
                foreach (var match in _detectors[detector].EnumerateMatches(scanned))
                {
                    if (match.Length > 0)
                    {
                        candidates.Add(new MatchCandidate(detector, match.Start, match.Length));
                    }
                }
            }

            if (candidates.Count == 0)
            {
                masked = default;
                return false;
            }

            var winners = candidates.ResolveOverlaps();
            var counts = Tally(winners, matchCounts);
            masked = Operator.NullsWholeValue
                ? MaskedValue.SqlNull(counts)
                : MaskedValue.Replaced(Splice(value, view, winners), counts);
            return true;
        }
        finally
        {
            candidates.Dispose();
            view.Dispose();
        }
    }

    private DetectorCount[] Tally(ReadOnlySpan<MatchCandidate> winners, Span<int> matchCounts)
    {
        Span<int> perDetector = _detectors.Length <= StackDetectors ? stackalloc int[StackDetectors] : new int[_detectors.Length];
        perDetector = perDetector[.._detectors.Length];
        perDetector.Clear();
        foreach (var winner in winners)
        {
            perDetector[winner.Detector]++;
        }

        int matched = 0;
        foreach (int count in perDetector)
        {
            matched += count > 0 ? 1 : 0;
        }

        var counts = new DetectorCount[matched];
        int next = 0;
        for (int detector = 0; detector < perDetector.Length; detector++)
        {
            if (perDetector[detector] == 0)
            {
                continue;
            }

            counts[next++] = new DetectorCount(_detectors[detector].Name, perDetector[detector]);
            if (!matchCounts.IsEmpty)
            {
                matchCounts[detector] += perDetector[detector];
            }
        }

        return counts;
    }

    /// <summary>The original value with each winner's original range replaced by the operator's text for it.</summary>
    private string Splice(ReadOnlySpan<char> value, UnicodeEscapeView view, ReadOnlySpan<MatchCandidate> winners)
    {
        var scanned = view.Text;
        int length = value.Length;
        foreach (var winner in winners)
        {
            length -= view.OriginalIndex(winner.End) - view.OriginalIndex(winner.Start);
            length += Operator.GetReplacementLength(scanned.Slice(winner.Start, winner.Length), _detectors[winner.Detector].Name);
        }

        var buffer = ArrayPool<char>.Shared.Rent(length);
        try
        {
            int copiedUpTo = 0;
            int written = 0;
            foreach (var winner in winners)
            {
                int originalStart = view.OriginalIndex(winner.Start);
                value[copiedUpTo..originalStart].CopyTo(buffer.AsSpan(written));
                written += originalStart - copiedUpTo;

                var original = scanned.Slice(winner.Start, winner.Length);
                string label = _detectors[winner.Detector].Name;
                int replacementLength = Operator.GetReplacementLength(original, label);
                Operator.WriteReplacement(original, label, buffer.AsSpan(written, replacementLength));
                written += replacementLength;
                copiedUpTo = view.OriginalIndex(winner.End);
            }

            value[copiedUpTo..].CopyTo(buffer.AsSpan(written));
            written += value.Length - copiedUpTo;
            return new string(buffer, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
