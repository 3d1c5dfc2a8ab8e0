namespace HoopProxy.Postgres.Masking;

/// <summary>The Luhn (mod 10) check every payment card number carries in its last digit.</summary>
internal static class LuhnChecksum
{
    /// <summary><paramref name="digits"/> holds digit values 0–9, most significant first.</summary>
    public static bool IsValid(ReadOnlySpan<byte> digits)
    {
        int sum = 0;
        bool doubleIt = false;
        for (int i = digits.Length - 1; i >= 0; i--)
        {
            int digit = digits[i];
            if (doubleIt)
            {
                digit *= 2;
                if (digit > 9)
                {
                    digit -= 9;
                }
            }

            sum += digit;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }
}
