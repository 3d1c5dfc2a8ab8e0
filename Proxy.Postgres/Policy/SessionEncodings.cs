namespace HoopProxy.Postgres.Policy;

/// <summary>
/// The encodings under which the proxy's parser (reading UTF-8) and the server read a statement identically. In
/// other client encodings the same bytes can mean another text — in SJIS, BIG5, GBK, UHC and GB18030 a backslash
/// or quote byte can be the second half of a character (CVE-2006-2313) — so the policy could judge a statement the
/// server never sees.
/// </summary>
public static class SessionEncodings
{
    /// <summary>
    /// UTF8, and SQL_ASCII: with SQL_ASCII the server converts nothing and checks the bytes against its own
    /// encoding, so over a UTF8 server it reads exactly the UTF-8 the proxy parsed.
    /// </summary>
    public static bool IsSafeClientEncoding(string? name, string? serverEncoding = "UTF8") => Normalize(name) switch
    {
        "UTF8" => true,
        "SQLASCII" => Normalize(serverEncoding) == "UTF8",
        _ => false,
    };

    /// <summary>PostgreSQL accepts "utf-8", "UTF8", "Unicode"; compare without case and punctuation.</summary>
    private static string Normalize(string? name)
    {
        var letters = new string((name ?? "").Where(char.IsLetterOrDigit).ToArray()).ToUpperInvariant();
        return letters == "UNICODE" ? "UTF8" : letters;
    }
}
