namespace HoopProxy.Postgres.Masking;

/// <summary>
/// International bank account numbers: a country code with an IBAN, two check digits (02–98) and the BBAN, exactly
/// the country's length (<see cref="IbanCountryLengths"/>), either compact or printed in groups of four separated
/// by single spaces; letters in either case; ISO 7064 mod 97 must give 1. No letter or digit may touch it.
/// </summary>
public sealed class IbanDetector : IDetector
{
    /// <summary>Every match has digits.</summary>
    public string? RequiredCharacters => NumberBoundaries.Digits;

    public string Name => DetectorNames.Iban;

    public bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match)
    {
        // An IBAN starts with two letters then two digits: its check digits start a run of digits right after the
        // country code, so only digit-run starts need a look back at the letters.
        int from = startAt + 2;
        while (from < text.Length)
        {
            int checkDigits = NumberBoundaries.NextDigitRunStart(text, from);
            if (checkDigits < 0)
            {
                break;
            }

            int start = checkDigits - 2;
            if (TryMatchAt(text, start, out int end))
            {
                match = new TextMatch(start, end - start);
                return true;
            }

            from = NumberBoundaries.SkipDigits(text, checkDigits);
        }

        match = default;
        return false;
    }

    private static bool TryMatchAt(ReadOnlySpan<char> text, int start, out int end)
    {
        end = 0;
        if (start + 4 > text.Length || !char.IsAsciiDigit(text[start + 3]) ||
            (start > 0 && char.IsLetterOrDigit(text[start - 1])))
        {
            return false;
        }

        int length = IbanCountryLengths.For(text[start], text[start + 1]);
        if (length == 0)
        {
            return false;
        }

        Span<char> compact = stackalloc char[IbanCountryLengths.MaxLength];
        int firstRunEnd = SkipAlphanumerics(text, start);
        int firstRunLength = firstRunEnd - start;
        if (firstRunLength == length)
        {
            text.Slice(start, length).CopyTo(compact);
            end = firstRunEnd;
        }
        else if (firstRunLength == 4 && TryReadSpacedGroups(text, firstRunEnd, length, compact, out end))
        {
            text.Slice(start, 4).CopyTo(compact);
        }
        else
        {
            return false;
        }

        return HasValidCheckDigits(compact[..length]);
    }

    /// <summary>
    /// After the first group of four: " XXXX" groups until the length is reached, the last group holding what is
    /// left (1–4). Fills <paramref name="compact"/> from index 4.
    /// </summary>
    private static bool TryReadSpacedGroups(ReadOnlySpan<char> text, int position, int length, Span<char> compact, out int end)
    {
        end = 0;
        int collected = 4;
        while (collected < length)
        {
            if (position + 1 >= text.Length || text[position] != ' ')
            {
                return false;
            }

            int groupStart = position + 1;
            int groupEnd = SkipAlphanumerics(text, groupStart);
            int expected = Math.Min(4, length - collected);
            if (groupEnd - groupStart != expected)
            {
                return false;
            }

            text[groupStart..groupEnd].CopyTo(compact[collected..]);
            collected += expected;
            position = groupEnd;
        }

        end = position;
        return true;
    }

    /// <summary>ISO 13616: check digits 02–98, and the number with its first four characters moved to the end, letters as 10–35, is 1 mod 97.</summary>
    internal static bool HasValidCheckDigits(ReadOnlySpan<char> iban)
    {
        int checkDigits = ((iban[2] - '0') * 10) + (iban[3] - '0');
        if (checkDigits is < 2 or > 98)
        {
            return false;
        }

        int remainder = 0;
        for (int i = 0; i < iban.Length; i++)
        {
            char c = iban[(i + 4) % iban.Length];
            if (char.IsAsciiDigit(c))
            {
                remainder = ((remainder * 10) + (c - '0')) % 97;
            }
            else if (char.IsAsciiLetter(c))
            {
                remainder = ((remainder * 100) + (char.ToUpperInvariant(c) - 'A' + 10)) % 97;
            }
            else
            {
                return false;
            }
        }

        return remainder == 1;
    }

    private static int SkipAlphanumerics(ReadOnlySpan<char> text, int index)
    {
        while (index < text.Length && char.IsAsciiLetterOrDigit(text[index]))
        {
            index++;
        }

        return index;
    }
}
