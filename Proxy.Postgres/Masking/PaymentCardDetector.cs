namespace HoopProxy.Postgres.Masking;

/// <summary>
/// Payment card numbers: 13–19 digits with a known IIN prefix and length (<see cref="PaymentCardIssuers"/>) and a
/// valid Luhn digit. Written either as one digit run or in the printed groupings with one consistent separator
/// (single space or dash): 4-4-4-4(-3), 4-4-4-1..4, Amex 4-6-5, Diners 4-6-4. Not part of a longer digit run.
/// </summary>
public sealed class PaymentCardDetector : IDetector
{
    /// <summary>Every match has digits.</summary>
    public string? RequiredCharacters => NumberBoundaries.Digits;

    private const int MinDigits = 13;
    private const int MaxDigits = 19;
    private const int MaxGroups = 6;

    public string Name => DetectorNames.PaymentCard;

    public bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match)
    {
        int from = startAt;
        while (true)
        {
            int start = NumberBoundaries.NextDigitRunStart(text, from);
            if (start < 0)
            {
                match = default;
                return false;
            }

            if (TryMatchAt(text, start, out int end))
            {
                match = new TextMatch(start, end - start);
                return true;
            }

            from = NumberBoundaries.SkipDigits(text, start);
        }
    }

    private static bool TryMatchAt(ReadOnlySpan<char> text, int start, out int end)
    {
        int firstGroupEnd = NumberBoundaries.SkipDigits(text, start);
        int firstGroupLength = firstGroupEnd - start;
        bool grouped = firstGroupLength == 4 && firstGroupEnd + 1 < text.Length && text[firstGroupEnd] is ' ' or '-' &&
                       char.IsAsciiDigit(text[firstGroupEnd + 1]);
        return grouped
            ? TryMatchGrouped(text, start, firstGroupEnd, out end)
            : TryMatchRun(text, start, firstGroupEnd, out end);
    }

    /// <summary>One unseparated run of 13–19 digits.</summary>
    private static bool TryMatchRun(ReadOnlySpan<char> text, int start, int runEnd, out int end)
    {
        end = runEnd;
        int length = runEnd - start;
        if (length is < MinDigits or > MaxDigits || !NumberBoundaries.IsIsolated(text, start, runEnd, lettersMayTouch: true))
        {
            return false;
        }

        Span<byte> digits = stackalloc byte[MaxDigits];
        for (int i = 0; i < length; i++)
        {
            digits[i] = (byte)(text[start + i] - '0');
        }

        return IsValidNumber(digits[..length]);
    }

    /// <summary>
    /// Groups separated by one repeated separator. With spaces the number may be followed by another spaced number
    /// (a CVV, an expiry), so shorter prefixes of the groups are tried too; with dashes the whole dashed run must be
    /// the card, since a dash joins what follows into the same token.
    /// </summary>
    private static bool TryMatchGrouped(ReadOnlySpan<char> text, int start, int firstGroupEnd, out int end)
    {
        char separator = text[firstGroupEnd];
        Span<int> groupEnds = stackalloc int[MaxGroups];
        Span<int> groupLengths = stackalloc int[MaxGroups];
        groupEnds[0] = firstGroupEnd;
        groupLengths[0] = 4;
        int groups = 1;
        int position = firstGroupEnd;
        bool moreAfterLastGroup = false;
        while (position + 1 < text.Length && text[position] == separator && char.IsAsciiDigit(text[position + 1]))
        {
            if (groups == MaxGroups)
            {
                moreAfterLastGroup = true;
                break;
            }

            int groupEnd = NumberBoundaries.SkipDigits(text, position + 1);
            groupLengths[groups] = groupEnd - (position + 1);
            groupEnds[groups] = groupEnd;
            groups++;
            position = groupEnd;
        }

        bool prefixesAllowed = separator == ' ';
        if (!prefixesAllowed && moreAfterLastGroup)
        {
            end = 0;
            return false;
        }

        Span<byte> digits = stackalloc byte[MaxDigits];
        for (int taken = groups; taken >= 2; taken--)
        {
            end = groupEnds[taken - 1];
            if (IsPrintedGrouping(groupLengths[..taken]) &&
                (taken == groups || prefixesAllowed) &&
                NumberBoundaries.IsIsolated(text, start, end, lettersMayTouch: true))
            {
                int count = CopyDigits(text[start..end], digits);
                if (IsValidNumber(digits[..count]))
                {
                    return true;
                }
            }

            if (!prefixesAllowed)
            {
                break;
            }
        }

        end = 0;
        return false;
    }

    /// <summary>4-4-4-4, 4-4-4-4-3, 4-4-4-1..4 (13–19 digits), Amex 4-6-5, Diners 4-6-4.</summary>
    private static bool IsPrintedGrouping(ReadOnlySpan<int> lengths)
    {
        int total = 0;
        foreach (int length in lengths)
        {
            total += length;
        }

        if (total is < MinDigits or > MaxDigits)
        {
            return false;
        }

        if (lengths.Length == 3 && lengths[0] == 4 && lengths[1] == 6 && lengths[2] is 4 or 5)
        {
            return true;
        }

        for (int i = 0; i < lengths.Length - 1; i++)
        {
            if (lengths[i] != 4)
            {
                return false;
            }
        }

        return lengths[^1] is >= 1 and <= 4;
    }

    private static int CopyDigits(ReadOnlySpan<char> source, Span<byte> digits)
    {
        int count = 0;
        foreach (char c in source)
        {
            if (char.IsAsciiDigit(c))
            {
                digits[count++] = (byte)(c - '0');
            }
        }

        return count;
    }

    private static bool IsValidNumber(ReadOnlySpan<byte> digits) =>
        PaymentCardIssuers.IsKnown(digits) && LuhnChecksum.IsValid(digits);
}
