namespace HoopProxy.Postgres.Masking;

/// <summary>
/// Finds one kind of sensitive value inside any text (free text, JSON, PostgreSQL array literals: all are just text).
/// A detector reports only validated matches (checksums, ranges, boundaries), so callers can act on every match.
/// </summary>
public interface IDetector
{
    /// <summary>The name rules refer to (<c>us-ssn</c>, <c>payment-card</c>, … or a custom name); also the Redact label.</summary>
    string Name { get; }

    /// <summary>
    /// Finds the first match that starts at or after <paramref name="startAt"/>. Characters before
    /// <paramref name="startAt"/> are still read to judge boundaries (a number glued to a longer number is no match).
    /// Resuming from the previous match's <see cref="TextMatch.End"/> yields non-overlapping matches in order.
    /// Must not allocate.
    /// </summary>
    bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match);

    /// <summary>
    /// Characters every match contains at least one of (digits for the numeric detectors, <c>@</c> for e-mail), so a
    /// text without any of them is skipped with one vectorised search; null when no such set exists (custom patterns).
    /// </summary>
    string? RequiredCharacters => null;
}
