using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// Names result columns by their source, for column masking rules: one per target, shared by its sessions, queried
/// on the proxy's own upstream connection (never the client's, whose protocol state must not change) and cached.
/// </summary>
public interface IColumnCatalog
{
    /// <summary>The cached source of <paramref name="origin"/>; false when it is not cached yet (see <see cref="ResolveAsync"/>).</summary>
    bool TryGetSource(ColumnOrigin origin, out ColumnSource source);

    /// <summary>Looks up the origins not cached yet and caches them. Throws <see cref="ColumnCatalogException"/> when the catalog cannot be read.</summary>
    Task ResolveAsync(IReadOnlyCollection<ColumnOrigin> origins, CancellationToken cancellationToken);

    /// <summary>
    /// The result columns <paramref name="query"/> would return, without running it (Parse and Describe on the catalog
    /// connection); their origins are resolved and cached as well. Throws <see cref="ColumnCatalogException"/> when the
    /// server cannot describe it there (a temporary table of the client's session, a syntax error).
    /// </summary>
    Task<IReadOnlyList<FieldDescription>> DescribeAsync(string query, CancellationToken cancellationToken);

    /// <summary>DDL passed through the proxy: everything cached may be stale.</summary>
    void Invalidate();
}

/// <summary>The catalog could not answer; masking fails closed on it.</summary>
public sealed class ColumnCatalogException(string message, Exception? inner = null) : Exception(message, inner);
