namespace HoopProxy.Postgres.Masking;

/// <summary>
/// IBAN length per country (SWIFT IBAN registry): all SEPA countries and the other common IBAN countries. A two-letter
/// code not listed here is not an IBAN country, which rules out most letter-digit codes before any arithmetic.
/// </summary>
internal static class IbanCountryLengths
{
    private static readonly byte[] LengthByCode = Build(
        ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22), ("BH", 22),
        ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24), ("DE", 22), ("DK", 18), ("DO", 28),
        ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18), ("FO", 18), ("FR", 27), ("GB", 22), ("GE", 22), ("GI", 23),
        ("GL", 18), ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28), ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26),
        ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20), ("LU", 20),
        ("LV", 21), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19), ("MR", 27), ("MT", 31), ("MU", 30), ("NL", 18),
        ("NO", 15), ("PK", 24), ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("SA", 24),
        ("SC", 31), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("ST", 25), ("SV", 28), ("TL", 23), ("TN", 24),
        ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20));

    public const int MaxLength = 34;

    /// <summary>The IBAN length for a country code (either letter case), or 0 when the code has no IBAN.</summary>
    public static int For(char first, char second)
    {
        if (!char.IsAsciiLetter(first) || !char.IsAsciiLetter(second))
        {
            return 0;
        }

        return LengthByCode[(Index(first) * 26) + Index(second)];
    }

    private static int Index(char letter) => char.ToUpperInvariant(letter) - 'A';

    private static byte[] Build(params (string Code, byte Length)[] entries)
    {
        var table = new byte[26 * 26];
        foreach (var (code, length) in entries)
        {
            table[(Index(code[0]) * 26) + Index(code[1])] = length;
        }

        return table;
    }
}
