using System.Collections.Concurrent;

namespace HoopProxy.Postgres.Sql;

/// <summary>
/// A bounded, thread-safe map from query text to its analysis, with approximate least-recently-used eviction by two
/// generations: new entries go to the young generation; when it is full the old generation is dropped whole and the
/// young one becomes old. A hit in the old generation is copied back to the young one, so statements in use survive
/// every rotation while one-off texts fall out after two. A hit costs one (at most two) dictionary lookups and no lock;
/// at most <c>capacity</c> entries are held.
/// </summary>
internal sealed class AnalysisCache
{
    private readonly int _generationCapacity;
    private readonly Lock _rotation = new();
    private volatile ConcurrentDictionary<string, SqlAnalysis> _young;
    private volatile ConcurrentDictionary<string, SqlAnalysis> _old;

    public AnalysisCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _generationCapacity = capacity / 2;
        _young = NewGeneration();
        _old = NewGeneration();
    }

    /// <summary>Entries held now (both generations; a text promoted from old to young is counted twice until the next rotation).</summary>
    public int Count => _young.Count + _old.Count;

    public bool TryGet(string text, out SqlAnalysis analysis)
    {
        if (_young.TryGetValue(text, out analysis!))
        {
            return true;
        }

        if (_old.TryGetValue(text, out analysis!))
        {
            Add(text, analysis);
            return true;
        }

        return false;
    }

    public void Add(string text, SqlAnalysis analysis)
    {
        var young = _young;
        if (young.Count >= _generationCapacity)
        {
            lock (_rotation)
            {
                // Another thread may have rotated already while this one waited.
                if (ReferenceEquals(young, _young))
                {
                    _old = young;
                    _young = NewGeneration();
                }
            }
        }

        _young.TryAdd(text, analysis);
    }

    private ConcurrentDictionary<string, SqlAnalysis> NewGeneration() => new(StringComparer.Ordinal);
}
