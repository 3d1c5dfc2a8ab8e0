using System.Text;
using System.Text.Json;
using HoopProxy.Postgres.Sql.Native;

namespace HoopProxy.Postgres.Sql;

/// <summary>
/// The uncached analysis: parses a text with libpg_query and walks each statement. Also the entry point the walkers
/// call back into for SQL found inside statements (DO blocks, function bodies, PL/pgSQL expressions), which is
/// merged into the statement being analysed. Stateless, so one instance serves all threads.
/// </summary>
internal sealed class SqlTextAnalyzer
{
    /// <summary>Bodies inside bodies (a DO whose body runs a DO …) deeper than this are refused, which fails closed.</summary>
    public const int MaxNesting = 10;

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 100_000 };

    public SqlAnalysis Analyze(string sql)
    {
        if (sql.Contains('\0'))
        {
            // The C parser would stop at the NUL and see less than PostgreSQL is sent; PostgreSQL rejects such a message anyway.
            return SqlAnalysis.Failed("the query text contains a NUL character");
        }

        try
        {
            var statements = new List<StatementInfo>();
            foreach (var (text, node) in ParseStatements(sql, context: null))
            {
                var facts = new StatementFacts();
                var description = new SqlTreeWalker(facts, this, depth: 0, text).WalkStatement(node);
                statements.Add(facts.ToInfo(text, description.Tag, description.Class));
            }

            return new SqlAnalysis(true, null, statements);
        }
        catch (SqlAnalysisException e)
        {
            return SqlAnalysis.Failed(e.Message);
        }
        catch (InsufficientExecutionStackException)
        {
            return SqlAnalysis.Failed("the statement is nested too deeply to analyse");
        }
        catch (DllNotFoundException e)
        {
            return SqlAnalysis.Failed($"the SQL parser library {PgQueryNative.Library} could not be loaded: {e.Message}");
        }
    }

    /// <summary>
    /// Parses SQL found inside a statement and merges what its statements do into <paramref name="facts"/>.
    /// With <paramref name="asExpression"/> the text is a bare expression made into <c>SELECT expr</c>, whose own
    /// SELECT is not a command of the outer statement (PL/pgSQL evaluates expressions that way).
    /// </summary>
    public void AnalyzeInto(string sql, StatementFacts facts, int depth, string context, bool asExpression = false)
    {
        if (depth > MaxNesting)
        {
            throw new SqlAnalysisException($"{context}: SQL nested more than {MaxNesting} bodies deep is not analysed");
        }

        var text = asExpression ? "SELECT " + sql : sql;
        foreach (var (statementText, node) in ParseStatements(text, context))
        {
            new SqlTreeWalker(facts, this, depth, statementText).WalkStatement(node, recordOwnCommand: !asExpression);
        }
    }

    /// <summary>True when <paramref name="sql"/> parses (used to choose between statement and expression readings of PL/pgSQL fragments).</summary>
    public static bool Parses(string sql) => PgQuery.Parse(Encoding.UTF8.GetBytes(sql)).Succeeded;

    private static List<(string Text, JsonElement Node)> ParseStatements(string sql, string? context)
    {
        var utf8 = Encoding.UTF8.GetBytes(sql);
        var output = PgQuery.Parse(utf8);
        if (!output.Succeeded)
        {
            throw new SqlAnalysisException(context is null ? output.Error! : $"{context}: {output.Error}");
        }

        // The elements must outlive the document's disposal, so they are cloned (cheap next to the native parse).
        using var document = JsonDocument.Parse(output.Json!, JsonOptions);
        var result = new List<(string, JsonElement)>();
        foreach (var entry in JsonTree.Items(document.RootElement, "stmts"))
        {
            var node = JsonTree.Field(entry, "stmt") ?? throw new SqlAnalysisException("libpg_query returned a statement without a tree");
            result.Add((Slice(utf8, entry), node.Clone()));
        }

        return result;
    }

    /// <summary>stmt_location and stmt_len are byte offsets into the UTF-8 text; a length of 0 means "to the end".</summary>
    private static string Slice(byte[] utf8, JsonElement entry)
    {
        var start = JsonTree.Field(entry, "stmt_location") is { ValueKind: JsonValueKind.Number } location ? location.GetInt32() : 0;
        var length = JsonTree.Field(entry, "stmt_len") is { ValueKind: JsonValueKind.Number } len ? len.GetInt32() : 0;
        start = Math.Clamp(start, 0, utf8.Length);
        length = length <= 0 || start + length > utf8.Length ? utf8.Length - start : length;
        return Encoding.UTF8.GetString(utf8, start, length).Trim();
    }
}
