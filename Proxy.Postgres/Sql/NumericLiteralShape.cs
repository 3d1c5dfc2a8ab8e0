using System.Text;

namespace HoopProxy.Postgres.Sql;

/// <summary>
/// The text of a statement with every numeric constant replaced by <c>0</c>: <c>SELECT abalance FROM
/// pgbench_accounts WHERE aid = 4711</c> and <c>… = 12</c> share the shape <c>… = 0</c>. Statements sent with
/// their values inline (psql, pgbench -M simple, many applications) are unique texts, so an exact-text cache never
/// hits for them; their shape does.
/// </summary>
/// <remarks>
/// Only digits that start a token are replaced, and nothing inside string constants, dollar-quoted bodies, quoted
/// identifiers or comments, so identifiers (<c>t1</c>), parameters (<c>$1</c>) and every text that can carry SQL
/// keep their exact characters. A number never changes which statement a text is or what it touches — but it can
/// be a setting's value (<c>SET standard_conforming_strings = 0</c>), which is why <see cref="SqlAnalyzer"/> reuses
/// an analysis by shape only for plain reads and writes that change no setting.
/// </remarks>
internal static class NumericLiteralShape
{
    /// <summary>The shape of <paramref name="sql"/>, or null when it has no numeric constant (its shape is itself).</summary>
    public static string? Of(string sql)
    {
        // Backslash escapes (E'' strings) and strings continued across a newline ('a'\n'b', one string to PostgreSQL)
        // are where a scanner this small could lose track of what is inside a string: such texts get no shape.
        if (sql.Contains('\\', StringComparison.Ordinal))
        {
            return null;
        }

        StringBuilder? shape = null;
        var copiedUpTo = 0;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            switch (c)
            {
                case '\'':
                    i = SkipQuoted(sql, i, '\'', backslashEscapes: IsEscapeStringPrefix(sql, i));
                    if (ContinuesOnNextLine(sql, i))
                    {
                        return null;
                    }

                    continue;
                case '"':
                    i = SkipQuoted(sql, i, '"', backslashEscapes: false);
                    continue;
                case '-' when At(sql, i + 1) == '-':
                    i = SkipLineComment(sql, i);
                    continue;
                case '/' when At(sql, i + 1) == '*':
                    i = SkipBlockComment(sql, i);
                    continue;
                case '$' when IsDollarQuoteStart(sql, i, out var tagLength):
                    i = SkipDollarQuoted(sql, i, tagLength);
                    continue;
                case >= '0' and <= '9' when i == 0 || !IsIdentifierChar(sql[i - 1]):
                    var end = i;
                    while (end < sql.Length && char.IsAsciiDigit(sql[end]))
                    {
                        end++;
                    }

                    if (end - i == 1 && c == '0')
                    {
                        i = end;
                        continue;
                    }

                    shape ??= new StringBuilder(sql.Length);
                    shape.Append(sql, copiedUpTo, i - copiedUpTo).Append('0');
                    copiedUpTo = end;
                    i = end;
                    continue;
                default:
                    i++;
                    continue;
            }
        }

        return shape?.Append(sql, copiedUpTo, sql.Length - copiedUpTo).ToString();
    }

    private static char At(string sql, int index) => index < sql.Length ? sql[index] : '\0';

    /// <summary>Letters (any script), digits, underscore and $ continue an identifier: <c>t1</c>, <c>x$2</c>, <c>$1</c>.</summary>
    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' || c > 127;

    /// <summary>E'…' (and e'…') strings treat backslash as an escape; only when the E is a token of its own.</summary>
    private static bool IsEscapeStringPrefix(string sql, int quote) =>
        quote > 0 && sql[quote - 1] is 'E' or 'e' && (quote == 1 || !IsIdentifierChar(sql[quote - 2]));

    /// <summary>Past the closing quote; a doubled quote is part of the text. An unterminated one runs to the end.</summary>
    private static int SkipQuoted(string sql, int open, char quote, bool backslashEscapes)
    {
        var i = open + 1;
        while (i < sql.Length)
        {
            if (backslashEscapes && sql[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (sql[i] == quote)
            {
                if (At(sql, i + 1) == quote)
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        return sql.Length;
    }

    /// <summary>A string constant followed by whitespace with a newline and another quote: PostgreSQL joins the two.</summary>
    private static bool ContinuesOnNextLine(string sql, int afterQuote)
    {
        var sawNewline = false;
        var i = afterQuote;
        while (i < sql.Length && char.IsWhiteSpace(sql[i]))
        {
            sawNewline |= sql[i] is '\n' or '\r';
            i++;
        }

        return sawNewline && i < sql.Length && sql[i] == '\'';
    }

    private static int SkipLineComment(string sql, int start)
    {
        var end = sql.IndexOfAny(['\n', '\r'], start);
        return end < 0 ? sql.Length : end;
    }

    /// <summary>PostgreSQL's block comments nest.</summary>
    private static int SkipBlockComment(string sql, int start)
    {
        var depth = 0;
        var i = start;
        while (i < sql.Length - 1)
        {
            if (sql[i] == '/' && sql[i + 1] == '*')
            {
                depth++;
                i += 2;
            }
            else if (sql[i] == '*' && sql[i + 1] == '/')
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

    /// <summary>$tag$ or $$, where the tag is an identifier that does not start with a digit ($1 is a parameter) and the $ does not continue an identifier.</summary>
    private static bool IsDollarQuoteStart(string sql, int start, out int tagLength)
    {
        tagLength = 0;
        if (start > 0 && IsIdentifierChar(sql[start - 1]))
        {
            return false;
        }

        var i = start + 1;
        if (i < sql.Length && char.IsAsciiDigit(sql[i]))
        {
            return false;
        }

        while (i < sql.Length && sql[i] != '$')
        {
            if (!(char.IsLetterOrDigit(sql[i]) || sql[i] == '_' || sql[i] > 127))
            {
                return false;
            }

            i++;
        }

        if (i >= sql.Length)
        {
            return false;
        }

        tagLength = i - start + 1;
        return true;
    }

    private static int SkipDollarQuoted(string sql, int start, int tagLength)
    {
        var tag = sql.AsSpan(start, tagLength);
        var close = sql.AsSpan(start + tagLength).IndexOf(tag, StringComparison.Ordinal);
        return close < 0 ? sql.Length : start + tagLength + close + tagLength;
    }
}
