namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// Finds parenthesised groups in SQL text the way PostgreSQL's lexer sees it (standard_conforming_strings on, as
/// libpg_query assumes): parentheses inside string literals ('…' with '' doubling, E'…' with backslash escapes),
/// quoted identifiers ("…" with ""), dollar-quoted strings ($tag$…$tag$) and comments (-- to the end of the line,
/// nested /* */) do not count. Used to cut the query out of <c>COPY (query) TO STDOUT</c> with its exact spelling,
/// which the parse tree does not give back.
/// </summary>
internal static class SqlParenthesisScanner
{
    /// <summary>The index of the first character at or after <paramref name="index"/> that is not white space or part of a comment.</summary>
    public static int SkipTrivia(string sql, int index)
    {
        while (index < sql.Length)
        {
            if (char.IsWhiteSpace(sql[index]))
            {
                index++;
            }
            else if (StartsWith(sql, index, "--"))
            {
                var newline = sql.AsSpan(index).IndexOfAny('\n', '\r');
                index = newline < 0 ? sql.Length : index + newline + 1;
            }
            else if (StartsWith(sql, index, "/*"))
            {
                index = SkipBlockComment(sql, index);
            }
            else
            {
                break;
            }
        }

        return index;
    }

    /// <summary>
    /// When the first token at or after <paramref name="index"/> is <c>(</c>, the text up to its matching <c>)</c>:
    /// <paramref name="innerStart"/> is the index after the opening parenthesis, <paramref name="innerLength"/> the
    /// length up to (not including) the closing one. False when the token is not <c>(</c> or the group is not closed.
    /// </summary>
    public static bool TryFindGroup(string sql, int index, out int innerStart, out int innerLength)
    {
        innerStart = 0;
        innerLength = 0;
        var open = SkipTrivia(sql, index);
        if (open >= sql.Length || sql[open] != '(')
        {
            return false;
        }

        var depth = 0;
        var i = open;
        while (i < sql.Length)
        {
            var c = sql[i];
            switch (c)
            {
                case '(':
                    depth++;
                    i++;
                    break;
                case ')':
                    depth--;
                    if (depth == 0)
                    {
                        innerStart = open + 1;
                        innerLength = i - innerStart;
                        return true;
                    }

                    i++;
                    break;
                case '\'':
                    i = SkipQuoted(sql, i, '\'', backslashEscapes: IsEscapeStringPrefix(sql, i));
                    break;
                case '"':
                    i = SkipQuoted(sql, i, '"', backslashEscapes: false);
                    break;
                case '$' when TryReadDollarTag(sql, i, out var tag):
                    i = SkipDollarQuoted(sql, i, tag);
                    break;
                case '-' when StartsWith(sql, i, "--"):
                case '/' when StartsWith(sql, i, "/*"):
                    i = SkipTrivia(sql, i);
                    break;
                default:
                    i++;
                    break;
            }
        }

        return false;
    }

    /// <summary>True when the word at <paramref name="index"/> is <paramref name="keyword"/> (ASCII, any case) and not the start of a longer identifier.</summary>
    public static bool IsKeywordAt(string sql, int index, string keyword) =>
        index + keyword.Length <= sql.Length
        && sql.AsSpan(index, keyword.Length).Equals(keyword, StringComparison.OrdinalIgnoreCase)
        && (index + keyword.Length == sql.Length || !IsIdentifierChar(sql[index + keyword.Length]));

    private static bool StartsWith(string sql, int index, string prefix) => sql.AsSpan(index).StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>An identifier continues with letters, digits, _ and $; any non-ASCII character is a letter to the lexer.</summary>
    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' || c > 0x7F;

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_' || c > 0x7F;

    /// <summary>E'…' (or e'…'): the E must be a token of its own, not the end of an identifier such as <c>name'…'</c>.</summary>
    private static bool IsEscapeStringPrefix(string sql, int quote) =>
        quote >= 1 && sql[quote - 1] is 'E' or 'e' && (quote == 1 || !IsIdentifierChar(sql[quote - 2]));

    /// <summary>Index after the closing quote; a doubled quote is part of the text, as is (for E'') any character after a backslash.</summary>
    private static int SkipQuoted(string sql, int open, char quote, bool backslashEscapes)
    {
        var i = open + 1;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (backslashEscapes && c == '\\')
            {
                i += 2;
            }
            else if (c == quote)
            {
                if (i + 1 < sql.Length && sql[i + 1] == quote)
                {
                    i += 2;
                }
                else
                {
                    return i + 1;
                }
            }
            else
            {
                i++;
            }
        }

        return sql.Length;
    }

    /// <summary>A dollar-quote opener: <c>$$</c> or <c>$tag$</c> (tag an identifier without $), not inside an identifier (<c>a$b$</c>) and not a parameter (<c>$1</c>).</summary>
    private static bool TryReadDollarTag(string sql, int dollar, out string tag)
    {
        tag = "";
        if (dollar > 0 && IsIdentifierChar(sql[dollar - 1]))
        {
            return false;
        }

        var i = dollar + 1;
        if (i < sql.Length && IsIdentifierStart(sql[i]))
        {
            i++;
            while (i < sql.Length && IsIdentifierChar(sql[i]) && sql[i] != '$')
            {
                i++;
            }
        }

        if (i >= sql.Length || sql[i] != '$')
        {
            return false;
        }

        tag = sql[dollar..(i + 1)];
        return true;
    }

    private static int SkipDollarQuoted(string sql, int open, string tag)
    {
        var close = sql.IndexOf(tag, open + tag.Length, StringComparison.Ordinal);
        return close < 0 ? sql.Length : close + tag.Length;
    }

    /// <summary>Index after the comment that starts at <paramref name="open"/>; block comments nest in PostgreSQL.</summary>
    private static int SkipBlockComment(string sql, int open)
    {
        var depth = 0;
        var i = open;
        while (i < sql.Length)
        {
            if (StartsWith(sql, i, "/*"))
            {
                depth++;
                i += 2;
            }
            else if (StartsWith(sql, i, "*/"))
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return sql.Length;
    }
}
