namespace HoopProxy.Postgres.Masking;

/// <summary>
/// US Social Security numbers: <c>AAA-GG-SSSS</c> or <c>AAA GG SSSS</c> (one separator, used twice) anywhere a number
/// stands on its own; nine bare digits only when they are a whole value (the entire text, an entire quoted string,
/// an entire array element), because nine-digit numbers in free text are mostly not SSNs. Numbers the SSA never
/// issues are rejected: area 000, 666 or 900–999, group 00, serial 0000, one digit repeated (111-11-1111), and the
/// two numbers made public by advertising (078-05-1120, the Woolworth wallet card; 219-09-9999, an SSA leaflet).
/// </summary>
public sealed class UsSsnDetector : IDetector
{
    /// <summary>Every match has digits.</summary>
    public string? RequiredCharacters => NumberBoundaries.Digits;

    private const int Digits = 9;

    public string Name => DetectorNames.UsSsn;

    public bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match)
    {
        Span<byte> digits = stackalloc byte[Digits];
        int from = startAt;
        while (true)
        {
            int start = NumberBoundaries.NextDigitRunStart(text, from);
            if (start < 0)
            {
                match = default;
                return false;
            }

            if (TryReadFormatted(text, start, digits, out int end) || TryReadBare(text, start, digits, out end))
            {
                if (IsIssuable(digits))
                {
                    match = new TextMatch(start, end - start);
                    return true;
                }
            }

            from = NumberBoundaries.SkipDigits(text, start);
        }
    }

    /// <summary>Whether the SSA could have issued these nine digits (area, group, serial, repeated and published numbers).</summary>
    internal static bool IsIssuable(ReadOnlySpan<byte> digits)
    {
        int area = (digits[0] * 100) + (digits[1] * 10) + digits[2];
        int group = (digits[3] * 10) + digits[4];
        int serial = (digits[5] * 1000) + (digits[6] * 100) + (digits[7] * 10) + digits[8];
        if (area is 0 or 666 or >= 900 || group == 0 || serial == 0)
        {
            return false;
        }

        if (digits.IndexOfAnyExcept(digits[0]) < 0)
        {
            return false;
        }

        return !(area == 78 && group == 5 && serial == 1120) && !(area == 219 && group == 9 && serial == 9999);
    }

    private static bool TryReadFormatted(ReadOnlySpan<char> text, int start, Span<byte> digits, out int end)
    {
        end = 0;
        int areaEnd = NumberBoundaries.SkipDigits(text, start);
        if (areaEnd - start != 3 || areaEnd >= text.Length || text[areaEnd] is not ('-' or ' '))
        {
            return false;
        }

        char separator = text[areaEnd];
        int groupEnd = NumberBoundaries.SkipDigits(text, areaEnd + 1);
        if (groupEnd - (areaEnd + 1) != 2 || groupEnd >= text.Length || text[groupEnd] != separator)
        {
            return false;
        }

        int serialEnd = NumberBoundaries.SkipDigits(text, groupEnd + 1);
        if (serialEnd - (groupEnd + 1) != 4 || !NumberBoundaries.IsIsolated(text, start, serialEnd, lettersMayTouch: false))
        {
            return false;
        }

        int count = 0;
        foreach (char c in text[start..serialEnd])
        {
            if (char.IsAsciiDigit(c))
            {
                digits[count++] = (byte)(c - '0');
            }
        }

        end = serialEnd;
        return true;
    }

    private static bool TryReadBare(ReadOnlySpan<char> text, int start, Span<byte> digits, out int end)
    {
        end = NumberBoundaries.SkipDigits(text, start);
        if (end - start != Digits || !NumberBoundaries.IsWholeValue(text, start, end))
        {
            return false;
        }

        for (int i = 0; i < Digits; i++)
        {
            digits[i] = (byte)(text[start + i] - '0');
        }

        return true;
    }
}
