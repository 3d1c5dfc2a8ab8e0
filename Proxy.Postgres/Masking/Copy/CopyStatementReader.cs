using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using HoopProxy.Postgres.Sql;
using HoopProxy.Postgres.Sql.Native;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// Reads <c>COPY … TO STDOUT</c> from libpg_query's CopyStmt. Both option syntaxes arrive as the same DefElem list
/// (<c>CSV HEADER DELIMITER ';'</c> becomes format=csv, header=true, delimiter=";"), so one reading covers them.
/// Options that only concern COPY FROM, or only change which fields are quoted, cannot change how the output is read
/// and are accepted; anything unknown is refused, because it might change the bytes.
/// </summary>
internal static class CopyStatementReader
{
    public const string FromMessage = "COPY FROM sends no rows to the client";
    public const string ToFileMessage = "COPY TO a file or program sends no rows to the client";

    /// <summary>Options that leave the layout of COPY TO output readable as parsed here (FORCE_QUOTE only adds quotes; the rest are COPY FROM's, which the server refuses for TO).</summary>
    private static readonly HashSet<string> LayoutNeutralOptions =
        ["force_quote", "force_not_null", "force_null", "freeze", "on_error", "log_verbosity", "reject_limit", "default"];

    /// <summary>A COPY of a deeply nested query is a deep tree; the default limit of 64 would throw on a valid statement.</summary>
    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 100_000 };

    public static bool TryRead(
        string sql,
        [NotNullWhen(true)] out CopyOutOptions? options,
        [NotNullWhen(true)] out CopySource? source,
        [NotNullWhen(false)] out string? error)
    {
        options = null;
        source = null;
        var utf8 = Encoding.UTF8.GetBytes(sql);
        var parsed = PgQuery.Parse(utf8);
        if (!parsed.Succeeded)
        {
            error = "the COPY statement does not parse: " + parsed.Error;
            return false;
        }

        using var document = JsonDocument.Parse(parsed.Json!, JsonOptions);
        var statements = JsonTree.Items(document.RootElement, "stmts").ToList();
        if (statements.Count != 1)
        {
            error = $"expected one COPY statement, found {statements.Count} statements";
            return false;
        }

        if (JsonTree.Field(statements[0], "stmt") is not { } node || !JsonTree.TryGetTypedNode(node, out var type, out var copy) || type != "CopyStmt")
        {
            error = "the statement is not COPY";
            return false;
        }

        if (JsonTree.Bool(copy, "is_from"))
        {
            error = FromMessage;
            return false;
        }

        if (JsonTree.Bool(copy, "is_program") || JsonTree.String(copy, "filename") is not null)
        {
            error = ToFileMessage;
            return false;
        }

        if (!TryReadOptions(copy, out options, out error))
        {
            return false;
        }

        var location = JsonTree.Field(statements[0], "stmt_location") is { ValueKind: JsonValueKind.Number } at ? at.GetInt32() : 0;
        return TryReadSource(sql, Encoding.UTF8.GetCharCount(utf8, 0, location), copy, out source, out error);
    }

    private static bool TryReadSource(
        string sql, int statementStart, JsonElement copy, [NotNullWhen(true)] out CopySource? source, [NotNullWhen(false)] out string? error)
    {
        source = null;
        error = null;
        if (JsonTree.Field(copy, "relation") is { } relation)
        {
            var columns = JsonTree.Field(copy, "attlist") is { } attlist ? JsonTree.NameList(attlist) : null;
            if (JsonTree.Field(copy, "attlist") is not null && columns is null)
            {
                error = "the COPY column list is not a list of names";
                return false;
            }

            source = new CopyRelationSource(JsonTree.String(relation, "schemaname"), JsonTree.String(relation, "relname") ?? "", columns);
            return true;
        }

        if (JsonTree.Field(copy, "query") is null)
        {
            error = "the COPY statement names neither a relation nor a query";
            return false;
        }

        // The tree has the query's structure but not its spelling; the text between the parentheses after COPY is it.
        var keyword = SqlParenthesisScanner.SkipTrivia(sql, statementStart);
        if (!SqlParenthesisScanner.IsKeywordAt(sql, keyword, "COPY")
            || !SqlParenthesisScanner.TryFindGroup(sql, keyword + "COPY".Length, out var innerStart, out var innerLength))
        {
            error = "the query of COPY (query) TO STDOUT could not be located in the statement text";
            return false;
        }

        source = new CopyQuerySource(sql.Substring(innerStart, innerLength));
        return true;
    }

    private static bool TryReadOptions(JsonElement copy, [NotNullWhen(true)] out CopyOutOptions? options, [NotNullWhen(false)] out string? error)
    {
        options = null;
        var values = new OptionValues();
        foreach (var item in JsonTree.Items(copy, "options"))
        {
            if (!JsonTree.TryGetTypedNode(item, out var type, out var definition) || type != "DefElem")
            {
                error = "unexpected node in the COPY options";
                return false;
            }

            if (!values.TryApply(JsonTree.String(definition, "defname") ?? "", JsonTree.Field(definition, "arg"), out error))
            {
                return false;
            }
        }

        return CopyOutOptions.TryCreate(values.Format, values.Delimiter, values.NullString, values.Quote, values.Escape, values.Header, out options, out error);
    }

    /// <summary>The options as written, before PostgreSQL's cross-checks (which <see cref="CopyOutOptions.TryCreate"/> makes).</summary>
    private sealed class OptionValues
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public CopyFormat Format { get; private set; } = CopyFormat.Text;

        public string? Delimiter { get; private set; }

        public string? NullString { get; private set; }

        public string? Quote { get; private set; }

        public string? Escape { get; private set; }

        public bool Header { get; private set; }

        public bool TryApply(string name, JsonElement? argument, [NotNullWhen(false)] out string? error)
        {
            if (!_seen.Add(name))
            {
                error = $"conflicting or redundant options: {name.ToUpperInvariant()} is given twice";
                return false;
            }

            string? text;
            bool ok;
            switch (name)
            {
                case "format":
                    ok = TryReadFormat(argument, out var format, out error);
                    Format = format;
                    return ok;
                case "header":
                    ok = TryReadHeader(argument, out var header, out error);
                    Header = header;
                    return ok;
                case "encoding":
                    return TryCheckEncoding(argument, out error);
                case "delimiter":
                    ok = TryReadString(argument, name, out text, out error);
                    Delimiter = text;
                    return ok;
                case "null":
                    ok = TryReadString(argument, name, out text, out error);
                    NullString = text;
                    return ok;
                case "quote":
                    ok = TryReadString(argument, name, out text, out error);
                    Quote = text;
                    return ok;
                case "escape":
                    ok = TryReadString(argument, name, out text, out error);
                    Escape = text;
                    return ok;
                case var _ when LayoutNeutralOptions.Contains(name):
                    error = null;
                    return true;
                default:
                    error = $"COPY option {name.ToUpperInvariant()} is not understood, so its output cannot be masked";
                    return false;
            }
        }
    }

    private static bool TryReadFormat(JsonElement? argument, out CopyFormat format, [NotNullWhen(false)] out string? error)
    {
        format = CopyFormat.Text;
        if (!TryReadString(argument, "format", out var name, out error))
        {
            return false;
        }

        switch (name.ToLowerInvariant())
        {
            case "text":
                format = CopyFormat.Text;
                return true;
            case "csv":
                format = CopyFormat.Csv;
                return true;
            case "binary":
                format = CopyFormat.Binary;
                return true;
            default:
                return Refuse($"COPY format \"{name}\" not recognized", out error);
        }
    }

    /// <summary>HEADER alone, a boolean, 0/1, or true/false/on/off/yes/no; MATCH is COPY FROM's.</summary>
    private static bool TryReadHeader(JsonElement? argument, out bool header, [NotNullWhen(false)] out string? error)
    {
        header = true;
        error = null;
        if (argument is null)
        {
            return true;
        }

        if (JsonTree.TryGetTypedNode(argument.Value, out var type, out var body) && type == "Boolean")
        {
            header = JsonTree.Bool(body, "boolval");
            return true;
        }

        if (!TryReadString(argument, "header", out var text, out error))
        {
            return false;
        }

        switch (text.ToLowerInvariant())
        {
            case "true" or "on" or "yes" or "1":
                header = true;
                return true;
            case "false" or "off" or "no" or "0":
                header = false;
                return true;
            case "match":
                return Refuse("cannot use \"match\" with HEADER in COPY TO", out error);
            default:
                return Refuse($"HEADER requires a Boolean value, not \"{text}\"", out error);
        }
    }

    /// <summary>The masker reads UTF-8; names are compared as PostgreSQL does (case and punctuation ignored; UNICODE is an alias).</summary>
    private static bool TryCheckEncoding(JsonElement? argument, [NotNullWhen(false)] out string? error)
    {
        if (!TryReadString(argument, "encoding", out var name, out error))
        {
            return false;
        }

        var cleaned = string.Concat(name.Where(char.IsAsciiLetterOrDigit)).ToLowerInvariant();
        return cleaned is "utf8" or "unicode"
            || Refuse($"COPY ENCODING '{name}' cannot be masked: only UTF-8 COPY data is read", out error);
    }

    /// <summary>An option's argument as text, as PostgreSQL's defGetString gives it (numbers and booleans spelled out).</summary>
    private static bool TryReadString(JsonElement? argument, string option, [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        error = null;
        if (argument is null || !JsonTree.TryGetTypedNode(argument.Value, out var type, out var body))
        {
            error = $"COPY option {option.ToUpperInvariant()} requires a parameter";
            return false;
        }

        value = type switch
        {
            "String" => JsonTree.String(body, "sval") ?? "",
            "Integer" => (JsonTree.Field(body, "ival") is { ValueKind: JsonValueKind.Number } number ? number.GetInt64() : 0).ToString(CultureInfo.InvariantCulture),
            "Float" => JsonTree.String(body, "fval") ?? "",
            "Boolean" => JsonTree.Bool(body, "boolval") ? "true" : "false",
            _ => null,
        };
        if (value is null)
        {
            error = $"COPY option {option.ToUpperInvariant()} requires a single value";
            return false;
        }

        return true;
    }

    private static bool Refuse(string message, [NotNullWhen(false)] out string? error)
    {
        error = message;
        return false;
    }
}
