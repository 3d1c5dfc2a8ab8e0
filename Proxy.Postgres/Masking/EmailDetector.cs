namespace HoopProxy.Postgres.Masking;

/// <summary>
/// E-mail addresses, a pragmatic subset of RFC 5322 that covers what people and applications actually store:
/// a local part of ASCII letters, digits, <c>. + - _</c> (1–64 characters, no leading, trailing or doubled dot),
/// <c>@</c>, and a domain of at least two dot-separated labels (letters, digits, inner hyphens; 1–63 characters
/// each; 253 in all) whose last label, the TLD, is two or more letters. Quoted local parts, IP-literal domains and
/// internationalised (non-ASCII) addresses are not matched.
/// </summary>
public sealed class EmailDetector : IDetector
{
    public string? RequiredCharacters => "@";

    private const int MaxLocalLength = 64;
    private const int MaxDomainLength = 253;
    private const int MaxLabelLength = 63;

    public string Name => DetectorNames.Email;

    public bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match)
    {
        int from = startAt;
        while (from < text.Length)
        {
            int found = text[from..].IndexOf('@');
            if (found < 0)
            {
                break;
            }

            int at = from + found;
            if (TryMatchAround(text, startAt, at, out match))
            {
                return true;
            }

            from = at + 1;
        }

        match = default;
        return false;
    }

    private static bool TryMatchAround(ReadOnlySpan<char> text, int startAt, int at, out TextMatch match)
    {
        match = default;

        // The local part never reaches back before startAt, so a match cannot overlap the one before it.
        int localStart = at;
        while (localStart > startAt && IsLocalChar(text[localStart - 1]))
        {
            localStart--;
        }

        if (localStart > 0 && IsLocalChar(text[localStart - 1]))
        {
            return false;
        }

        while (localStart < at && text[localStart] == '.')
        {
            localStart++;
        }

        int domainEnd = at + 1;
        while (domainEnd < text.Length && IsDomainChar(text[domainEnd]))
        {
            domainEnd++;
        }

        // A sentence may end right after the address: "write to a@example.com."
        while (domainEnd > at + 1 && text[domainEnd - 1] is '.' or '-')
        {
            domainEnd--;
        }

        if (!IsLocalPart(text[localStart..at]) || !IsDomain(text[(at + 1)..domainEnd]))
        {
            return false;
        }

        match = new TextMatch(localStart, domainEnd - localStart);
        return true;
    }

    private static bool IsLocalPart(ReadOnlySpan<char> local) =>
        local.Length is > 0 and <= MaxLocalLength && local[^1] != '.' && !local.Contains("..", StringComparison.Ordinal);

    private static bool IsDomain(ReadOnlySpan<char> domain)
    {
        if (domain.Length is 0 or > MaxDomainLength)
        {
            return false;
        }

        int labels = 0;
        ReadOnlySpan<char> lastLabel = default;
        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.Length is 0 or > MaxLabelLength || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            labels++;
            lastLabel = label;
        }

        return labels >= 2 && lastLabel.Length >= 2 && !lastLabel.ContainsAnyExcept(AsciiLetters);
    }

    private static readonly System.Buffers.SearchValues<char> AsciiLetters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static bool IsLocalChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '+' or '-' or '_';

    private static bool IsDomainChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-';
}
