using System.Text.Json;
using HoopProxy.Postgres.Sql.Native;

namespace HoopProxy.Postgres.Sql;

/// <summary>
/// Looks inside the code a statement defines or runs — a DO block, a CREATE FUNCTION/PROCEDURE body — and merges what
/// that code does into the statement: PL/pgSQL through PL/pgSQL's own grammar, SQL bodies through the SQL grammar;
/// other languages cannot be analysed and count as dynamic SQL. A body that does not parse fails the whole analysis.
/// </summary>
internal sealed class RoutineBodyAnalyzer(SqlTextAnalyzer analyzer, StatementFacts facts, int depth)
{
    public void AnalyzeDo(JsonElement doBody)
    {
        var language = "plpgsql"; // DO's default
        string? code = null;
        foreach (var (name, argument) in Options(doBody, "args"))
        {
            if (name == "language" && StringValue(argument) is { } lang)
            {
                language = lang;
            }
            else if (name == "as")
            {
                code = StringValue(argument);
            }
        }

        if (code is null)
        {
            throw new SqlAnalysisException("DO block without a body");
        }

        Analyze(language, code, () => WrapDoBlock(code), "DO block");
    }

    public void AnalyzeCreateFunction(JsonElement functionBody, string statementText)
    {
        if (JsonTree.Field(functionBody, "sql_body") is not null)
        {
            return; // BEGIN ATOMIC … END / RETURN expr: already part of the parse tree and walked with it
        }

        string? language = null;
        IReadOnlyList<string>? definition = null;
        foreach (var (name, argument) in Options(functionBody, "options"))
        {
            if (name == "language")
            {
                language = StringValue(argument);
            }
            else if (name == "as")
            {
                definition = JsonTree.TryGetTypedNode(argument, out var type, out var list) && type == "List" && JsonTree.Field(list, "items") is { } items
                    ? JsonTree.NameList(items)
                    : StringValue(argument) is { } single ? [single] : null;
            }
        }

        if (definition is null)
        {
            return; // no body: PostgreSQL rejects it, nothing would run
        }

        // Two strings (object file, link symbol) is LANGUAGE C; PostgreSQL requires LANGUAGE when there is no sql_body.
        var code = definition.Count == 1 ? definition[0] : null;
        Analyze(language ?? "sql", code, () => statementText, "function body");
    }

    private void Analyze(string language, string? code, Func<string> plpgsqlFunctionText, string context)
    {
        switch (language.ToLowerInvariant())
        {
            case "plpgsql" when code is not null:
                AnalyzePlpgsql(plpgsqlFunctionText(), context);
                break;
            case "sql" when code is not null:
                analyzer.AnalyzeInto(code, facts, depth + 1, context);
                break;
            default:
                // plpython3u, plperl, C, … run code the SQL grammar cannot read.
                facts.HasDynamicSql = true;
                break;
        }
    }

    private void AnalyzePlpgsql(string createFunctionText, string context)
    {
        var output = PgQuery.ParsePlpgsql(createFunctionText);
        if (!output.Succeeded)
        {
            throw new SqlAnalysisException($"{context} (PL/pgSQL): {output.Error}");
        }

        using var document = JsonDocument.Parse(output.Json!, new JsonDocumentOptions { MaxDepth = 100_000 });
        new PlpgsqlTreeWalker(analyzer, facts, depth + 1, context).WalkFunctions(document.RootElement);
    }

    /// <summary>
    /// pg_query_parse_plpgsql takes a CREATE FUNCTION statement, so a DO body is wrapped in one, with a dollar-quote tag
    /// chosen so that its closing delimiter cannot occur earlier in the body (which would end the quote early).
    /// </summary>
    internal static string WrapDoBlock(string body)
    {
        for (var n = 0; ; n++)
        {
            var delimiter = n == 0 ? "$hoop$" : $"$hoop{n}$";
            if ((body + delimiter).IndexOf(delimiter, StringComparison.Ordinal) == body.Length)
            {
                return $"CREATE FUNCTION pg_temp.hoop_do() RETURNS void LANGUAGE plpgsql AS {delimiter}{body}{delimiter}";
            }
        }
    }

    private static IEnumerable<(string Name, JsonElement Argument)> Options(JsonElement body, string field)
    {
        foreach (var item in JsonTree.Items(body, field))
        {
            if (JsonTree.TryGetTypedNode(item, out var type, out var element) && type == "DefElem"
                && JsonTree.String(element, "defname") is { } name && JsonTree.Field(element, "arg") is { } argument)
            {
                yield return (name, argument);
            }
        }
    }

    private static string? StringValue(JsonElement node) =>
        JsonTree.TryGetTypedNode(node, out var type, out var body) && type == "String" ? JsonTree.String(body, "sval") : null;
}
