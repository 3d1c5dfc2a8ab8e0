using System.Buffers;

namespace HoopProxy.Postgres.Masking;

/// <summary>
/// Whether a number found in text stands on its own. A number glued to another digit, or joined to another number by
/// a connector (<c>12-123-45-6789</c>, <c>1.021000021</c>, <c>3/123456789</c>), is part of something longer —
/// a date, a decimal, an identifier — and matching it would be a false positive. A comma is not a connector: it
/// separates PostgreSQL array elements and JSON values, which are exactly where standalone numbers live.
/// </summary>
internal static class NumberBoundaries
{
    // SearchValues rather than IndexOfAnyInRange('0', '9'): the no-match allocation test caught the range search
    // allocating about 80 B per call (cause not investigated), and the scan must not allocate.
    /// <summary>The digits the numeric detectors look for: also their <see cref="IDetector.RequiredCharacters"/>.</summary>
    public const string Digits = "0123456789";

    private static readonly SearchValues<char> AsciiDigits = SearchValues.Create(Digits);

    /// <summary>The index of the first ASCII digit at or after <paramref name="from"/>, or -1.</summary>
    public static int IndexOfDigit(ReadOnlySpan<char> text, int from)
    {
        int found = text[from..].IndexOfAny(AsciiDigits);
        return found < 0 ? -1 : from + found;
    }

    public static bool IsConnector(char c) => c is '-' or '.' or '/';

    /// <summary>
    /// True when <c>text[start..end)</c> is not preceded or followed by a digit, by a connector that touches another
    /// digit, or (unless <paramref name="lettersMayTouch"/>) by a letter.
    /// </summary>
    public static bool IsIsolated(ReadOnlySpan<char> text, int start, int end, bool lettersMayTouch) =>
        IsApartBefore(text, start, lettersMayTouch) && IsApartAfter(text, end, lettersMayTouch);

    /// <summary>The side before <paramref name="start"/> of <see cref="IsIsolated"/>.</summary>
    public static bool IsApartBefore(ReadOnlySpan<char> text, int start, bool lettersMayTouch)
    {
        if (start == 0)
        {
            return true;
        }

        char before = text[start - 1];
        return !Glues(before, lettersMayTouch) && !(IsConnector(before) && start >= 2 && char.IsAsciiDigit(text[start - 2]));
    }

    /// <summary>The side from <paramref name="end"/> on of <see cref="IsIsolated"/>.</summary>
    public static bool IsApartAfter(ReadOnlySpan<char> text, int end, bool lettersMayTouch)
    {
        if (end >= text.Length)
        {
            return true;
        }

        char after = text[end];
        return !Glues(after, lettersMayTouch) && !(IsConnector(after) && end + 1 < text.Length && char.IsAsciiDigit(text[end + 1]));
    }

    /// <summary>
    /// True when <c>text[start..end)</c> is a whole value on its own: the entire text, the entire content of a
    /// double-quoted string (JSON, quoted array element), or an entire unquoted PostgreSQL array element.
    /// </summary>
    public static bool IsWholeValue(ReadOnlySpan<char> text, int start, int end)
    {
        bool atStart = start == 0;
        bool atEnd = end == text.Length;
        if (atStart && atEnd)
        {
            return true;
        }

        if (atStart || atEnd)
        {
            return false;
        }

        char before = text[start - 1];
        char after = text[end];
        return (before == '"' && after == '"') || (before is '{' or ',' && after is ',' or '}');
    }

    /// <summary>The index after the run of ASCII digits that starts at <paramref name="index"/>.</summary>
    public static int SkipDigits(ReadOnlySpan<char> text, int index)
    {
        while (index < text.Length && char.IsAsciiDigit(text[index]))
        {
            index++;
        }

        return index;
    }

    /// <summary>The first ASCII digit at or after <paramref name="from"/> that starts a run of digits, or -1.</summary>
    public static int NextDigitRunStart(ReadOnlySpan<char> text, int from)
    {
        while (from < text.Length)
        {
            int index = IndexOfDigit(text, from);
            if (index < 0)
            {
                return -1;
            }

            if (index == 0 || !char.IsAsciiDigit(text[index - 1]))
            {
                return index;
            }

            // Started inside a run (the caller resumed mid-number): the rest of that run is not a run start.
            from = SkipDigits(text, index);
        }

        return -1;
    }

    private static bool Glues(char c, bool lettersMayTouch) =>
        char.IsAsciiDigit(c) || (!lettersMayTouch && char.IsLetterOrDigit(c));
}
