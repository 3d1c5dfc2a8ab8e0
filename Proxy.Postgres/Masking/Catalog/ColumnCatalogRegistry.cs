using System.Collections.Concurrent;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Session;

namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// One <see cref="ColumnCatalog"/> per target, made on first use and shared by every session to that target, so a
/// target costs one catalog connection however many clients it has.
/// </summary>
public sealed class ColumnCatalogRegistry : IAsyncDisposable
{
    private readonly UpstreamConnector _connector;
    private readonly TimeSpan _timeToLive;
    private readonly ConcurrentDictionary<string, ColumnCatalog> _catalogs = new(StringComparer.Ordinal);
    private readonly Lock _creating = new();
    private readonly List<ColumnCatalog> _replaced = [];
    private bool _disposed;

    public ColumnCatalogRegistry(UpstreamConnector connector, TimeSpan timeToLive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        _connector = connector;
        _timeToLive = timeToLive;
    }

    /// <summary>
    /// The catalog of <paramref name="target"/>. A target whose settings changed (a configuration reload moved it to
    /// another host or account) gets a new catalog: the old one's answers describe another server.
    /// </summary>
    public IColumnCatalog For(PostgresTarget target)
    {
        if (_catalogs.TryGetValue(target.Name, out var catalog) && catalog.Target == target)
        {
            return catalog;
        }

        lock (_creating)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_catalogs.TryGetValue(target.Name, out catalog))
            {
                if (catalog.Target == target)
                {
                    return catalog;
                }

                // Sessions that still hold it may finish their lookups; it is closed with the registry.
                _replaced.Add(catalog);
            }

            var created = new ColumnCatalog(target, _connector, _timeToLive);
            _catalogs[target.Name] = created;
            return created;
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ColumnCatalog> all;
        lock (_creating)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            all = [.. _catalogs.Values, .. _replaced];
            _catalogs.Clear();
            _replaced.Clear();
        }

        foreach (var catalog in all)
        {
            await catalog.DisposeAsync();
        }
    }
}
