namespace HoopProxy.Postgres.Masking;

/// <summary>
/// ABA routing transit numbers: a standalone run of exactly nine digits (no letter, digit or digit-joining
/// connector touching it) whose first two digits are a Federal Reserve routing symbol (00–12, 21–32, 61–72, 80)
/// and whose 3-7-1 weighted sum is a multiple of 10. Nine zeros pass both checks and are rejected.
/// About 3.7% of random nine-digit numbers pass, so this detector is for columns and texts where such numbers are
/// expected; see docs/masking.md.
/// </summary>
public sealed class AbaRoutingDetector : IDetector
{
    /// <summary>Every match has digits.</summary>
    public string? RequiredCharacters => NumberBoundaries.Digits;

    private const int Digits = 9;

    public string Name => DetectorNames.AbaRouting;

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

            int end = NumberBoundaries.SkipDigits(text, start);
            if (end - start == Digits &&
                NumberBoundaries.IsIsolated(text, start, end, lettersMayTouch: false) &&
                IsRoutingNumber(text.Slice(start, Digits)))
            {
                match = new TextMatch(start, Digits);
                return true;
            }

            from = end;
        }
    }

    internal static bool IsRoutingNumber(ReadOnlySpan<char> nineDigits)
    {
        int prefix = ((nineDigits[0] - '0') * 10) + (nineDigits[1] - '0');
        bool knownPrefix = prefix is <= 12 or (>= 21 and <= 32) or (>= 61 and <= 72) or 80;
        if (!knownPrefix || nineDigits.IndexOfAnyExcept('0') < 0)
        {
            return false;
        }

        int sum = 0;
        for (int i = 0; i < Digits; i += 3)
        {
            sum += (3 * (nineDigits[i] - '0')) + (7 * (nineDigits[i + 1] - '0')) + (nineDigits[i + 2] - '0');
        }

        return sum % 10 == 0;
    }
}
