using System.Runtime.CompilerServices;
using System.Text.Json;

namespace HoopProxy.Postgres.Sql;

/// <summary>
/// Walks the PL/pgSQL function trees of pg_query_parse_plpgsql and sends every embedded SQL text (PLpgSQL_expr.query)
/// back through the SQL grammar, merging the result into the outer statement. Which reading a fragment gets depends
/// on where it sits: a whole statement (execsql, PERFORM, FOR … IN query, RETURN QUERY, cursor queries), an
/// assignment ("target := expr"), a string computed at run time (EXECUTE, FOR … IN EXECUTE, OPEN … FOR EXECUTE,
/// RETURN QUERY EXECUTE: dynamic SQL) or a plain expression (conditions, RETURN, RAISE arguments, defaults …).
/// </summary>
internal sealed class PlpgsqlTreeWalker(SqlTextAnalyzer analyzer, StatementFacts facts, int depth, string context)
{
    private enum FragmentKind { Statement, Expression, Assignment, DynamicSqlText }

    /// <summary>PL/pgSQL 15's statement nodes (pl_funcs.c / libpg_query's pg_query_json_plpgsql.c).</summary>
    private static readonly HashSet<string> KnownStatements = new(StringComparer.Ordinal)
    {
        "PLpgSQL_stmt_block", "PLpgSQL_stmt_assign", "PLpgSQL_stmt_if", "PLpgSQL_stmt_case", "PLpgSQL_stmt_loop",
        "PLpgSQL_stmt_while", "PLpgSQL_stmt_fori", "PLpgSQL_stmt_fors", "PLpgSQL_stmt_forc", "PLpgSQL_stmt_foreach_a",
        "PLpgSQL_stmt_exit", "PLpgSQL_stmt_return", "PLpgSQL_stmt_return_next", "PLpgSQL_stmt_return_query",
        "PLpgSQL_stmt_raise", "PLpgSQL_stmt_assert", "PLpgSQL_stmt_execsql", "PLpgSQL_stmt_dynexecute",
        "PLpgSQL_stmt_dynfors", "PLpgSQL_stmt_getdiag", "PLpgSQL_stmt_open", "PLpgSQL_stmt_fetch", "PLpgSQL_stmt_close",
        "PLpgSQL_stmt_perform", "PLpgSQL_stmt_call", "PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback",
    };

    public void WalkFunctions(JsonElement functions)
    {
        var count = 0;
        foreach (var function in functions.ValueKind == JsonValueKind.Array ? functions.EnumerateArray() : default)
        {
            count++;
            Walk(function, owner: "", field: "");
        }

        if (count == 0)
        {
            throw new SqlAnalysisException($"{context} (PL/pgSQL): no function was compiled");
        }
    }

    private void Walk(JsonElement element, string owner, string field)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, owner, field);
                }

                break;
            case JsonValueKind.Object when JsonTree.TryGetTypedNode(element, out var type, out var body):
                VisitNode(type, body, owner, field);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, owner, property.Name);
                }

                break;
        }
    }

    private void VisitNode(string type, JsonElement body, string owner, string field)
    {
        if (type == "PLpgSQL_expr")
        {
            if (JsonTree.String(body, "query") is { } query)
            {
                AnalyzeFragment(query, KindOf(owner, field));
            }

            return;
        }

        if (type.StartsWith("PLpgSQL_stmt_", StringComparison.Ordinal) && !KnownStatements.Contains(type))
        {
            facts.Unrecognised = true;
        }

        switch (type)
        {
            case "PLpgSQL_stmt_commit":
                facts.AddCommand("COMMIT", StatementClass.Misc);
                break;
            case "PLpgSQL_stmt_rollback":
                facts.AddCommand("ROLLBACK", StatementClass.Misc);
                break;
        }

        foreach (var property in body.EnumerateObject())
        {
            Walk(property.Value, type, property.Name);
        }
    }

    private static FragmentKind KindOf(string owner, string field) => (owner, field) switch
    {
        ("PLpgSQL_stmt_execsql", "sqlstmt") => FragmentKind.Statement,
        ("PLpgSQL_stmt_perform", "expr") => FragmentKind.Statement,
        ("PLpgSQL_stmt_call", "expr") => FragmentKind.Statement,
        ("PLpgSQL_stmt_fors", "query") => FragmentKind.Statement,
        ("PLpgSQL_stmt_return_query", "query") => FragmentKind.Statement,
        ("PLpgSQL_stmt_open", "query") => FragmentKind.Statement,
        ("PLpgSQL_var", "cursor_explicit_expr") => FragmentKind.Statement,
        ("PLpgSQL_stmt_assign", "expr") => FragmentKind.Assignment,
        ("PLpgSQL_stmt_dynexecute", "query") => FragmentKind.DynamicSqlText,
        ("PLpgSQL_stmt_dynfors", "query") => FragmentKind.DynamicSqlText,
        ("PLpgSQL_stmt_open", "dynquery") => FragmentKind.DynamicSqlText,
        ("PLpgSQL_stmt_return_query", "dynquery") => FragmentKind.DynamicSqlText,
        _ => FragmentKind.Expression,
    };

    private void AnalyzeFragment(string query, FragmentKind kind)
    {
        switch (kind)
        {
            case FragmentKind.Statement:
                // Cursor argument lists and the like are not statements; fall back to the expression reading.
                if (SqlTextAnalyzer.Parses(query))
                {
                    analyzer.AnalyzeInto(query, facts, depth, context);
                }
                else
                {
                    analyzer.AnalyzeInto(query, facts, depth, context, asExpression: true);
                }

                break;
            case FragmentKind.Assignment:
                // "target := expr" (or "target = expr"): PL/pgSQL parses it as an assignment; as an expression the
                // comparison "target = expr" contains the same relations and calls.
                var assignment = query.IndexOf(":=", StringComparison.Ordinal);
                var expression = assignment < 0 ? query : string.Concat(query.AsSpan(0, assignment), "=", query.AsSpan(assignment + 2));
                analyzer.AnalyzeInto(expression, facts, depth, context, asExpression: true);
                break;
            case FragmentKind.DynamicSqlText:
                facts.HasDynamicSql = true;
                analyzer.AnalyzeInto(query, facts, depth, context, asExpression: true);
                break;
            default:
                // An expression; a fragment that is only valid as a statement (rare: cursor arguments) is read as one.
                var asExpression = SqlTextAnalyzer.Parses("SELECT " + query) || !SqlTextAnalyzer.Parses(query);
                analyzer.AnalyzeInto(query, facts, depth, context, asExpression);
                break;
        }
    }
}
