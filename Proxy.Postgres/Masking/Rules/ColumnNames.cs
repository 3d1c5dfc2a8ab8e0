namespace HoopProxy.Postgres.Masking.Rules;

/// <summary>
/// Reads a configured column name <c>schema.table.column</c> the way PostgreSQL reads identifiers: unquoted parts are
/// folded to lower case, double-quoted parts kept as written (<c>""</c> is a quote), so the result compares
/// ordinally with the catalog's spelling.
/// </summary>
public static class ColumnNames
{
    public static bool TryNormalize(string text, out string normalized, out string error)
    {
        var parts = new List<string>();
        var position = 0;
        normalized = "";
        while (true)
        {
            if (!TryReadIdentifier(text, ref position, out var part, out error))
            {
                return false;
            }

            parts.Add(part);
            if (position == text.Length)
            {
                break;
            }

            if (text[position] != '.')
            {
                error = $"unexpected '{text[position]}' at position {position + 1}";
                return false;
            }

            position++;
        }

        if (parts.Count != 3)
        {
            error = "must name schema, table and column: schema.table.column (such as public.customers.ssn)";
            return false;
        }

        normalized = string.Join('.', parts);
        error = "";
        return true;
    }

    private static bool TryReadIdentifier(string text, ref int position, out string identifier, out string error)
    {
        identifier = "";
        error = "";
        if (position < text.Length && text[position] == '"')
        {
            var builder = new System.Text.StringBuilder();
            position++;
            while (position < text.Length)
            {
                if (text[position] == '"')
                {
                    if (position + 1 < text.Length && text[position + 1] == '"')
                    {
                        builder.Append('"');
                        position += 2;
                        continue;
                    }

                    position++;
                    identifier = builder.ToString();
                    if (identifier.Length == 0)
                    {
                        error = "an identifier may not be empty";
                        return false;
                    }

                    return true;
                }

                builder.Append(text[position++]);
            }

            error = "a quoted identifier is not closed";
            return false;
        }

        var start = position;
        while (position < text.Length && text[position] != '.' && text[position] != '"')
        {
            position++;
        }

        identifier = FoldAscii(text[start..position].Trim());
        if (identifier.Length == 0)
        {
            error = "an identifier may not be empty";
            return false;
        }

        return true;
    }

    /// <summary>PostgreSQL folds only ASCII letters of unquoted identifiers (in UTF-8 databases).</summary>
    private static string FoldAscii(string text) => string.Create(text.Length, text, static (destination, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = source[i] is >= 'A' and <= 'Z' ? (char)(source[i] + 32) : source[i];
        }
    });
}
