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

    /// <param name="cacheCapacity">Most analyses kept (at least 2).</param>
    public SqlAnalyzer(int cacheCapacity = DefaultCacheCapacity)
    {
        _cache = new AnalysisCache(cacheCapacity);
    }

    /// <summary>Analyses which texts are held in the cache now (for tests and diagnostics).</summary>
    internal int CachedCount => _cache.Count;

    /// <summary>Analyses <paramref name="sql"/>, a simple-protocol query string or an extended-protocol Parse text ($n parameters are fine).</summary>
    public SqlAnalysis Analyze(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (_cache.TryGet(sql, out var cached))
        {
            return cached;
        }

        var analysis = _analyzer.Analyze(sql);
        if (sql.Length <= MaxCachedTextLength)
        {
            _cache.Add(sql, analysis);
        }

        return analysis;
    }
}
