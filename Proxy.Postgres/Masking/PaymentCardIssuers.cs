namespace HoopProxy.Postgres.Masking;

/// <summary>
/// Issuer identification number (IIN) ranges of the card networks and the lengths each issues. A digit string that
/// passes Luhn but starts with no known IIN (1 in 10 random strings pass Luhn) is not reported: the prefix check is
/// what keeps order numbers and other long identifiers out.
/// </summary>
internal static class PaymentCardIssuers
{
    private readonly record struct IinRange(int PrefixDigits, int Low, int High, int MinLength, int MaxLength, int[]? OnlyLengths = null)
    {
        public bool Accepts(ReadOnlySpan<byte> digits)
        {
            if (digits.Length < MinLength || digits.Length > MaxLength)
            {
                return false;
            }

            if (OnlyLengths is not null && Array.IndexOf(OnlyLengths, digits.Length) < 0)
            {
                return false;
            }

            int prefix = 0;
            for (int i = 0; i < PrefixDigits; i++)
            {
                prefix = (prefix * 10) + digits[i];
            }

            return prefix >= Low && prefix <= High;
        }
    }

    private static readonly IinRange[] Ranges =
    [
        new(1, 4, 4, 13, 19, [13, 16, 19]),         // Visa
        new(2, 51, 55, 16, 16),                      // Mastercard
        new(4, 2221, 2720, 16, 16),                  // Mastercard 2-series
        new(2, 34, 34, 15, 15),                      // American Express
        new(2, 37, 37, 15, 15),                      // American Express
        new(4, 6011, 6011, 16, 19),                  // Discover
        new(3, 644, 649, 16, 19),                    // Discover
        new(2, 65, 65, 16, 19),                      // Discover
        new(4, 3528, 3589, 16, 19),                  // JCB
        new(3, 300, 305, 14, 19),                    // Diners Club
        new(4, 3095, 3095, 14, 19),                  // Diners Club
        new(2, 36, 36, 14, 19),                      // Diners Club
        new(2, 38, 39, 14, 19),                      // Diners Club
        new(2, 62, 62, 16, 19),                      // UnionPay
        new(4, 2200, 2204, 16, 19),                  // Mir
        new(4, 5018, 5018, 13, 19),                  // Maestro
        new(4, 5020, 5020, 13, 19),                  // Maestro
        new(4, 5038, 5038, 13, 19),                  // Maestro
        new(4, 5893, 5893, 13, 19),                  // Maestro
        new(4, 6304, 6304, 13, 19),                  // Maestro
        new(4, 6759, 6759, 13, 19),                  // Maestro (UK)
        new(4, 6761, 6763, 13, 19),                  // Maestro
    ];

    public static bool IsKnown(ReadOnlySpan<byte> digits)
    {
        foreach (var range in Ranges)
        {
            if (range.Accepts(digits))
            {
                return true;
            }
        }

        return false;
    }
}
