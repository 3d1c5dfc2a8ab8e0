using BenchmarkDotNet.Attributes;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Benchmarks.Postgres.Sql;

/// <summary>
/// <see cref="SqlAnalyzer.Analyze"/> of pgbench's TPC-B UPDATE as the extended protocol sends it: a repeated text
/// (the cache hit every statement after the first costs) and a text never seen before (libpg_query parse, JSON, walk).
/// </summary>
[MemoryDiagnoser]
public class SqlAnalyzerBenchmarks
{
    private const string PgbenchUpdate = "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2";

    private SqlAnalyzer _analyzer = null!;
    private SqlAnalyzer _uncaching = null!;
    private int _counter;

    [GlobalSetup]
    public void Setup()
    {
        _analyzer = new SqlAnalyzer();
        // Capacity 2: every new text rotates the cache, so nothing accumulates during the uncached runs.
        _uncaching = new SqlAnalyzer(cacheCapacity: 2);
        var analysis = _analyzer.Analyze(PgbenchUpdate);
        if (!analysis.Parsed || analysis.Statements[0].RelationsWritten[0] != "public.pgbench_accounts")
        {
            throw new InvalidOperationException("the benchmark input does not analyse");
        }
    }

    /// <summary>A repeated statement: one dictionary lookup. Expected: 0 B.</summary>
    [Benchmark]
    public SqlAnalysis Cached() => _analyzer.Analyze(PgbenchUpdate);

    /// <summary>
    /// A statement not seen before (the same shape with a distinct trailing comment, so the cache misses): the full
    /// analysis. Allocates the JSON text, the document and the result.
    /// </summary>
    [Benchmark]
    public SqlAnalysis Uncached() => _uncaching.Analyze(PgbenchUpdate + " -- " + _counter++);
}
