using System.Buffers;

namespace HoopProxy.Postgres.Masking;

/// <summary>A match of the detector at <see cref="Detector"/> (its index in the masker), before overlaps are resolved.</summary>
internal readonly record struct MatchCandidate(int Detector, int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>
/// The matches of all detectors over one value, on the stack unless there are many, and the precedence that
/// decides between overlapping ones: the longest match wins (a card number over the phone-like digits inside it),
/// then the detector listed first, then the earlier start.
/// </summary>
internal ref struct MatchCandidates
{
    private static readonly Comparison<MatchCandidate> ByStart = static (a, b) => a.Start.CompareTo(b.Start);

    private static readonly Comparison<MatchCandidate> ByPrecedence = static (a, b) =>
    {
        int order = b.Length.CompareTo(a.Length);
        if (order == 0)
        {
            order = a.Detector.CompareTo(b.Detector);
        }

        return order != 0 ? order : a.Start.CompareTo(b.Start);
    };

    private Span<MatchCandidate> _items;
    private MatchCandidate[]? _rented;

    public MatchCandidates(Span<MatchCandidate> initial)
    {
        _items = initial;
    }

    public int Count { get; private set; }

    public void Add(MatchCandidate candidate)
    {
        if (Count == _items.Length)
        {
            Grow();
        }

        _items[Count++] = candidate;
    }

    /// <summary>Drops the losers of every overlap; returns the winners ordered by start.</summary>
    public Span<MatchCandidate> ResolveOverlaps()
    {
        var all = _items[..Count];
        all.Sort(ByStart);
        if (!AnyOverlap(all))
        {
            return all;
        }

        all.Sort(ByPrecedence);
        int kept = 0;
        for (int i = 0; i < all.Length; i++)
        {
            var candidate = all[i];
            if (!OverlapsAny(all[..kept], candidate))
            {
                all[kept++] = candidate;
            }
        }

        var winners = all[..kept];
        winners.Sort(ByStart);
        return winners;
    }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<MatchCandidate>.Shared.Return(_rented);
            _rented = null;
        }
    }

    private static bool AnyOverlap(ReadOnlySpan<MatchCandidate> byStart)
    {
        int furthestEnd = 0;
        foreach (var candidate in byStart)
        {
            if (candidate.Start < furthestEnd)
            {
                return true;
            }

            furthestEnd = Math.Max(furthestEnd, candidate.End);
        }

        return false;
    }

    private static bool OverlapsAny(ReadOnlySpan<MatchCandidate> accepted, MatchCandidate candidate)
    {
        foreach (var other in accepted)
        {
            if (candidate.Start < other.End && other.Start < candidate.End)
            {
                return true;
            }
        }

        return false;
    }

    private void Grow()
    {
        var larger = ArrayPool<MatchCandidate>.Shared.Rent(Math.Max(16, _items.Length * 2));
        _items[..Count].CopyTo(larger);
        Dispose();
        _rented = larger;
        _items = larger;
    }
}
