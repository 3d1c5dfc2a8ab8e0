using System.Buffers;

namespace HoopProxy.Postgres.Masking;

/// <summary>
/// Telephone numbers in two forms.
/// NANP: <c>(202) 555-0101</c>, <c>(202)555-0101</c>, <c>202-555-0101</c>, <c>202.555.0101</c>, <c>202 555 0101</c>
/// (the same separator twice), optionally after <c>+1</c> or <c>1</c> and a separator (<c>+1 202 555 0101</c>,
/// <c>1-800-555-0101</c>, <c>+1 (202) 555-0101</c>); area code and exchange start with 2–9.
/// E.164: <c>+</c>, a non-zero digit, then 8–15 digits in all, optionally in groups separated by single spaces.
/// Ten bare digits are not matched (too many other identifiers look like that), nor anything touching a letter,
/// another digit, or a connector joined to a digit.
/// </summary>
public sealed class PhoneDetector : IDetector
{
    /// <summary>Every match has digits.</summary>
    public string? RequiredCharacters => NumberBoundaries.Digits;

    private const int MinE164Digits = 8;
    private const int MaxE164Digits = 15;

    private static readonly SearchValues<char> CandidateStarts = SearchValues.Create("+(0123456789");

    public string Name => DetectorNames.Phone;

    public bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match)
    {
        int from = startAt;
        while (from < text.Length)
        {
            int found = text[from..].IndexOfAny(CandidateStarts);
            if (found < 0)
            {
                break;
            }

            int start = from + found;
            if (TryMatchAt(text, start, out int end))
            {
                match = new TextMatch(start, end - start);
                return true;
            }

            from = char.IsAsciiDigit(text[start]) ? NumberBoundaries.SkipDigits(text, start) : start + 1;
        }

        match = default;
        return false;
    }

    private static bool TryMatchAt(ReadOnlySpan<char> text, int start, out int end)
    {
        end = -1;
        if (!NumberBoundaries.IsApartBefore(text, start, lettersMayTouch: false))
        {
            return false;
        }

        int nanpEnd = TryNanpWithCountryCode(text, start);
        int e164End = text[start] == '+' ? TryE164(text, start) : -1;
        end = Math.Max(nanpEnd, e164End);
        return end > start && NumberBoundaries.IsApartAfter(text, end, lettersMayTouch: false);
    }

    /// <summary>The end of a NANP number at <paramref name="start"/>, with or without +1 / 1 in front, or -1.</summary>
    private static int TryNanpWithCountryCode(ReadOnlySpan<char> text, int start)
    {
        int bodyStart = start;
        if (text[start] == '+')
        {
            if (start + 2 >= text.Length || text[start + 1] != '1')
            {
                return -1;
            }

            bodyStart = text[start + 2] is ' ' or '-' or '.' ? start + 3 : start + 2;
            if (bodyStart == start + 2 && text[bodyStart] != '(')
            {
                return -1;
            }
        }
        else if (text[start] == '1' && start + 2 < text.Length && text[start + 1] is ' ' or '-' or '.' &&
                 (char.IsAsciiDigit(text[start + 2]) || text[start + 2] == '('))
        {
            bodyStart = start + 2;
        }

        return TryNanpBody(text, bodyStart);
    }

    /// <summary><c>(AAA) EEE-LLLL</c> or <c>AAA-EEE-LLLL</c> (separator '-', '.' or ' ', the same twice).</summary>
    private static int TryNanpBody(ReadOnlySpan<char> text, int start)
    {
        int position;
        char exchangeSeparator;
        if (start < text.Length && text[start] == '(')
        {
            if (!IsDigits(text, start + 1, 3, firstAtLeastTwo: true) || start + 4 >= text.Length || text[start + 4] != ')')
            {
                return -1;
            }

            position = start + 5;
            if (position < text.Length && text[position] == ' ')
            {
                position++;
            }

            if (!IsDigits(text, position, 3, firstAtLeastTwo: true) || position + 3 >= text.Length)
            {
                return -1;
            }

            exchangeSeparator = text[position + 3];
            if (exchangeSeparator is not ('-' or '.' or ' '))
            {
                return -1;
            }

            position += 4;
        }
        else
        {
            if (!IsDigits(text, start, 3, firstAtLeastTwo: true) || start + 3 >= text.Length)
            {
                return -1;
            }

            exchangeSeparator = text[start + 3];
            if (exchangeSeparator is not ('-' or '.' or ' ') ||
                !IsDigits(text, start + 4, 3, firstAtLeastTwo: true) || start + 7 >= text.Length ||
                text[start + 7] != exchangeSeparator)
            {
                return -1;
            }

            position = start + 8;
        }

        return IsDigits(text, position, 4, firstAtLeastTwo: false) ? position + 4 : -1;
    }

    /// <summary>Exactly <paramref name="count"/> digits at <paramref name="start"/>, not followed by another digit.</summary>
    private static bool IsDigits(ReadOnlySpan<char> text, int start, int count, bool firstAtLeastTwo)
    {
        if (start < 0 || start + count > text.Length || NumberBoundaries.SkipDigits(text, start) != start + count)
        {
            return false;
        }

        return !firstAtLeastTwo || text[start] >= '2';
    }

    /// <summary>
    /// <c>+</c> and 8–15 digits, groups separated by single spaces. If the spaced digits run on past 15, the longest
    /// prefix of whole groups that fits is the number (what follows is taken as separate text).
    /// </summary>
    private static int TryE164(ReadOnlySpan<char> text, int start)
    {
        int position = start + 1;
        if (position >= text.Length || text[position] is < '1' or > '9')
        {
            return -1;
        }

        int digits = 0;
        int bestEnd = -1;
        while (true)
        {
            int groupEnd = NumberBoundaries.SkipDigits(text, position);
            digits += groupEnd - position;
            if (digits > MaxE164Digits)
            {
                break;
            }

            if (digits >= MinE164Digits)
            {
                bestEnd = groupEnd;
            }

            if (groupEnd + 1 < text.Length && text[groupEnd] == ' ' && char.IsAsciiDigit(text[groupEnd + 1]))
            {
                position = groupEnd + 1;
                continue;
            }

            break;
        }

        return bestEnd;
    }
}
