using System.Text;
using System.Text.Json;

namespace HoopProxy.Postgres.Sql;

/// <summary>
/// Relation names as PostgreSQL stores them: "schema.name", identifiers exactly as the parser produced them (unquoted
/// ones already lower-cased, quoted ones verbatim). The parser cannot see search_path, so an unqualified name is given
/// <see cref="DefaultSchema"/> and reported as unqualified; temporary relations being created are put in pg_temp.
/// </summary>
internal static class RelationNames
{
    public const string DefaultSchema = "public";

    /// <summary>The name of a RangeVar body; <paramref name="unqualified"/> says the schema was assumed.</summary>
    public static string FromRangeVar(JsonElement rangeVar, out bool unqualified)
    {
        var relation = JsonTree.String(rangeVar, "relname") ?? "";
        var schema = JsonTree.String(rangeVar, "schemaname");
        unqualified = schema is null && JsonTree.String(rangeVar, "relpersistence") != "t";
        return Qualify(schema ?? (unqualified ? DefaultSchema : "pg_temp"), relation);
    }

    /// <summary>The name of a qualified-name list (["schema", "name"] or ["name"]; a leading catalog part is dropped as PostgreSQL requires it to be the current database).</summary>
    public static string FromParts(IReadOnlyList<string> parts, out bool unqualified)
    {
        unqualified = parts.Count < 2;
        return parts.Count switch
        {
            0 => Qualify(DefaultSchema, ""),
            1 => Qualify(DefaultSchema, parts[0]),
            _ => Qualify(parts[^2], parts[^1]),
        };
    }

    public static string Qualify(string schema, string relation) => schema + "." + relation;

    /// <summary>
    /// Splits a name written inside a string literal the way regclass input does (nextval('"My".seq')): dot-separated,
    /// double-quoted parts kept verbatim ("" is a quote), others lower-cased (ASCII, as for a UTF-8 database).
    /// Null when the text is not a well-formed name.
    /// </summary>
    public static IReadOnlyList<string>? SplitQualifiedName(string text)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var i = 0;
        text = text.Trim();
        while (i <= text.Length)
        {
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        return null;
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            current.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    current.Append(text[i++]);
                }
            }

            if (i == text.Length || text[i] == '.')
            {
                if (current.Length == 0)
                {
                    return null;
                }

                parts.Add(current.ToString());
                current.Clear();
                i++;
                continue;
            }

            if (text[i] == '"')
            {
                return null;
            }

            var c = text[i++];
            current.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
        }

        return parts.Count is >= 1 and <= 3 ? parts : null;
    }
}
