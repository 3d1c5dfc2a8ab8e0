namespace HoopProxy.Postgres.Sql;

/// <summary>
/// Classifies SQL with PostgreSQL 15's real grammar (libpg_query): what each statement of a query string is
/// (pgaudit class, command tag), what it effectively runs, which relations it reads and writes, which functions it
/// calls, and whether it hides SQL from analysis, reaches outside the database or changes watched settings.
/// Thread-safe. Results are cached by exact text in a bounded cache, so a repeated statement costs a lookup.
/// </summary>
public sealed class SqlAnalyzer
{
    /// <summary>Texts longer than this (in chars) are analysed every time rather than cached, so a few huge statements cannot crowd out the working set.</summary>
    public const int MaxCachedTextLength = 64 * 1024;

    public const int DefaultCacheCapacity = 10_000;

    private readonly SqlTextAnalyzer _analyzer = new();
    private readonly AnalysisCache _cache;
    private readonly AnalysisCache _shapes;

    /// <param name="cacheCapacity">Most analyses kept (at least 2), for exact texts and as many again for shapes.</param>
    public SqlAnalyzer(int cacheCapacity = DefaultCacheCapacity)
    {
        _cache = new AnalysisCache(cacheCapacity);
        _shapes = new AnalysisCache(cacheCapacity);
    }

    /// <summary>Analyses which texts are held in the cache now (for tests and diagnostics).</summary>
    internal int CachedCount => _cache.Count;

    /// <summary>Analyses held by shape (for tests and diagnostics).</summary>
    internal int CachedShapeCount => _shapes.Count;

    /// <summary>Analyses <paramref name="sql"/>, a simple-protocol query string or an extended-protocol Parse text ($n parameters are fine).</summary>
    public SqlAnalysis Analyze(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (_cache.TryGet(sql, out var cached))
        {
            return cached;
        }

        if (sql.Length > MaxCachedTextLength)
        {
            return _analyzer.Analyze(sql);
        }

        // A text with numbers in it is usually one of many that differ only in those numbers: look it up by shape,
        // and keep it out of the exact cache, where such one-off texts would only push out the statements in use.
        var shape = NumericLiteralShape.Of(sql);
        if (shape is null)
        {
            var analysis = _analyzer.Analyze(sql);
            _cache.Add(sql, analysis);
            return analysis;
        }

        if (_shapes.TryGet(shape, out var sameShape) && Rebind(sameShape, sql, shape) is { } rebound)
        {
            return rebound;
        }

        var fresh = _analyzer.Analyze(sql);
        if (IsShapeSafe(fresh))
        {
            _shapes.Add(shape, fresh);
        }
        else
        {
            _cache.Add(sql, fresh);
        }

        return fresh;
    }

    /// <summary>
    /// Reused by shape only when numbers cannot matter: one plain read or write, parsed and recognised, with no
    /// setting changed, no SQL hidden in strings or bodies, nothing prepared or executed by name, nothing outside.
    /// </summary>
    private static bool IsShapeSafe(SqlAnalysis analysis) =>
        analysis is { Parsed: true, Statements: [var statement] }
        && statement is { Unrecognised: false, HasDynamicSql: false, ReachesOutside: false, PreparedName: null, IsExecute: false, Settings.Count: 0 }
        && statement.EffectiveClasses.All(c => c is StatementClass.Read or StatementClass.Write);

    /// <summary>
    /// The analysis of another text with this shape, given this text's own statement text. The statement of a
    /// single-statement text is the text without surrounding space and its final semicolon; when that does not give
    /// back the shape of the stored statement (two semicolons, a trailing comment), the text is analysed afresh.
    /// </summary>
    private static SqlAnalysis? Rebind(SqlAnalysis sameShape, string sql, string shape)
    {
        var statement = sameShape.Statements[0];
        var text = sql.TrimEnd();
        if (text.EndsWith(';'))
        {
            text = text[..^1];
        }

        text = text.Trim();
        var storedShape = NumericLiteralShape.Of(statement.Text) ?? statement.Text;
        var ownShape = NumericLiteralShape.Of(text) ?? text;
        return ownShape == storedShape && shape.Length > 0
            ? sameShape with { Statements = [statement with { Text = text }] }
            : null;
    }
}
