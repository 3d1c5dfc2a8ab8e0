using System.Collections.Concurrent;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Session;

namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// The column catalog of one PostgreSQL target: names result columns (and, for view columns, the base columns they
/// show) for column masking rules. It asks on a connection of its own, opened on first use and again after a
/// failure, one request at a time; answers are cached for <see cref="TimeToLive"/> so that DDL made outside the
/// proxy is seen eventually, and <see cref="Invalidate"/> forgets them at once.
/// </summary>
public sealed class ColumnCatalog : IColumnCatalog, IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeToLive = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often a lookup is repeated when <see cref="Invalidate"/> keeps coming while it runs.</summary>
    private const int MaxLookupAttempts = 3;

    private readonly UpstreamConnector _connector;
    private readonly TimeProvider _time;
    private readonly long _timeToLiveTicks;
    private readonly ConcurrentDictionary<ColumnOrigin, CachedSource> _cache = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CatalogConnection? _connection;
    private long _generation;
    private volatile bool _disposed;

    /// <param name="timeToLive">How long an answer is trusted; <see cref="DefaultTimeToLive"/> when null.</param>
    /// <param name="requestTimeout">How long one lookup or describe may take, connecting aside; <see cref="DefaultRequestTimeout"/> when null.</param>
    /// <param name="timeProvider">The clock for <paramref name="timeToLive"/>; the system's when null.</param>
    public ColumnCatalog(PostgresTarget target, UpstreamConnector connector, TimeSpan? timeToLive = null, TimeSpan? requestTimeout = null,
        TimeProvider? timeProvider = null)
    {
        Target = target;
        _connector = connector;
        _time = timeProvider ?? TimeProvider.System;
        TimeToLive = timeToLive ?? DefaultTimeToLive;
        RequestTimeout = requestTimeout ?? DefaultRequestTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TimeToLive, TimeSpan.Zero, nameof(timeToLive));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(requestTimeout));
        _timeToLiveTicks = (long)(TimeToLive.TotalSeconds * _time.TimestampFrequency);
    }

    public PostgresTarget Target { get; }

    public TimeSpan TimeToLive { get; }

    public TimeSpan RequestTimeout { get; }

    /// <summary>The server process of the catalog's connection, null while there is none (for tests and diagnostics).</summary>
    internal int? ServerProcessId => _connection?.ProcessId;

    /// <inheritdoc/>
    /// <remarks>
    /// Lock-free and allocation-free: called by every session's relay for every RowDescription. An expression
    /// origin (0/0) is answered at once with <see cref="ColumnSource.None"/>: there is nothing to look up.
    /// </remarks>
    public bool TryGetSource(ColumnOrigin origin, out ColumnSource source)
    {
        if (origin.IsExpression)
        {
            source = ColumnSource.None;
            return true;
        }

        if (_cache.TryGetValue(origin, out var cached)
            && cached.Generation == Volatile.Read(ref _generation)
            && _time.GetTimestamp() < cached.ExpiresAt)
        {
            source = cached.Source;
            return true;
        }

        source = ColumnSource.None;
        return false;
    }

    /// <inheritdoc/>
    public async Task ResolveAsync(IReadOnlyCollection<ColumnOrigin> origins, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var missing = origins.Where(origin => !TryGetSource(origin, out _)).Distinct().ToList();
            if (missing.Count == 0)
            {
                return;
            }

            // An Invalidate while the lookup runs may mean it read the catalog before the DDL: its answers are
            // stored under the old generation, which TryGetSource ignores, and the lookup is repeated.
            var generation = Volatile.Read(ref _generation);
            var sources = await RunAsync((connection, ct) => ColumnSourceTracer.TraceAsync(connection, missing, ct), cancellationToken);
            var expiresAt = _time.GetTimestamp() + _timeToLiveTicks;
            foreach (var (origin, source) in sources)
            {
                _cache[origin] = new CachedSource(source, generation, expiresAt);
            }

            if (Volatile.Read(ref _generation) == generation)
            {
                return;
            }

            if (attempt == MaxLookupAttempts)
            {
                throw new ColumnCatalogException($"the column catalog of target \"{Target.Name}\" was invalidated during each of {MaxLookupAttempts} lookups");
            }
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<FieldDescription>> DescribeAsync(string query, CancellationToken cancellationToken)
    {
        if (query.Contains('\0', StringComparison.Ordinal))
        {
            // Parse carries the text as a C string: a NUL would end it early and put the connection out of step.
            throw new ColumnCatalogException("a statement containing a NUL character cannot be described");
        }

        var fields = await RunAsync((connection, ct) => connection.DescribeAsync(query, ct), cancellationToken);
        var origins = fields.Select(field => new ColumnOrigin(field.TableOid, field.ColumnAttributeNumber)).Where(origin => !origin.IsExpression).ToList();
        await ResolveAsync(origins, cancellationToken);
        return fields;
    }

    /// <inheritdoc/>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        // A request in progress fails at once instead of running to its timeout.
        _connection?.Abort();
        await _gate.WaitAsync();
        try
        {
            await DropConnectionAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="request"/> on the catalog connection, one request at a time, within <see cref="RequestTimeout"/>.
    /// A connection found broken is dropped; if it had served requests before, the request is tried once more on a new
    /// one, since a server restart or pg_terminate_backend while it sat idle is only noticed when it is used.
    /// </summary>
    private async Task<T> RunAsync<T>(Func<CatalogConnection, CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var reused = _connection is not null;
                var connection = _connection ??= await ConnectAsync(cancellationToken);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(RequestTimeout);
                try
                {
                    return await request(connection, timeout.Token);
                }
                catch (ColumnCatalogException)
                {
                    // The server answered with an error: the connection is in step and stays.
                    throw;
                }
                catch (CatalogConnectionBrokenException) when (reused && attempt == 1)
                {
                    await DropConnectionAsync();
                }
                catch (CatalogConnectionBrokenException e)
                {
                    await DropConnectionAsync();
                    throw new ColumnCatalogException($"the column catalog of target \"{Target.Name}\" failed: {e.Message}", e);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await DropConnectionAsync();
                    throw new ColumnCatalogException(
                        $"target \"{Target.Name}\" did not answer the column catalog within {RequestTimeout.TotalSeconds:0.#} s");
                }
                catch (OperationCanceledException)
                {
                    // Cancelled by the caller in the middle of a request: the conversation is out of step.
                    await DropConnectionAsync();
                    throw;
                }
                catch (Exception e)
                {
                    await DropConnectionAsync();
                    throw new ColumnCatalogException($"the column catalog of target \"{Target.Name}\" failed unexpectedly", e);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<CatalogConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await CatalogConnection.OpenAsync(_connector, Target, RequestTimeout / 2, cancellationToken);
        }
        catch (PostgresProtocolException e)
        {
            // The connector's messages are written to be shown: they name the target, never its account.
            throw new ColumnCatalogException($"the column catalog could not connect: {e.Message}", e);
        }
    }

    private async Task DropConnectionAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>An answer, the <see cref="Invalidate"/> generation it was read in, and when it expires (in <see cref="TimeProvider"/> ticks).</summary>
    private sealed record CachedSource(ColumnSource Source, long Generation, long ExpiresAt);
}
