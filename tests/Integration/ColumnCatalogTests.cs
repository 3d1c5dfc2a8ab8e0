using HoopProxy.Core.Networking;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Masking.Catalog;
using HoopProxy.Postgres.Session;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;
using SslMode = HoopProxy.Postgres.Configuration.SslMode;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// The column catalog against the real test cluster: each test works in a schema of its own, names columns of
/// tables, views, views over views and materialized views, and checks caching, invalidation, Describe and reconnecting.
/// </summary>
public sealed class ColumnCatalogTests
{
    private string _schema = null!;
    private ColumnCatalog _catalog = null!;

    private static PostgresTarget Target(int? port = null) => new()
    {
        Name = "bank",
        Host = "127.0.0.1",
        Port = port ?? TestCluster.Postgres.Port,
        Database = TestCluster.TargetDatabase,
        Username = TestCluster.TargetUser,
        Password = TestCluster.TargetPassword,
        SslMode = SslMode.Disable,
    };

    private static UpstreamConnector Connector() => new(PipeSettings.Default, NullLogger.Instance);

    [SetUp]
    public async Task CreateSchemaAsync()
    {
        _schema = $"cc_{Guid.NewGuid():N}"[..16];
        await ExecuteAsync($"CREATE SCHEMA {_schema}");
        _catalog = new ColumnCatalog(Target(), Connector());
    }

    [TearDown]
    public async Task DropSchemaAsync()
    {
        await _catalog.DisposeAsync();
        await ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var direct = new NpgsqlConnection(TestCluster.DirectConnectionString());
        await direct.OpenAsync();
        await using var command = new NpgsqlCommand(sql, direct);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>What RowDescription would report for <paramref name="column"/> of <paramref name="relation"/>, asked directly.</summary>
    private static async Task<ColumnOrigin> OriginOfAsync(string relation, string column)
    {
        await using var direct = new NpgsqlConnection(TestCluster.DirectConnectionString());
        await direct.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT attrelid::bigint, attnum FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped", direct);
        command.Parameters.AddWithValue(relation);
        command.Parameters.AddWithValue(column);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True, $"{relation}.{column} exists");
        return new ColumnOrigin((uint)reader.GetInt64(0), reader.GetInt16(1));
    }

    private async Task<IReadOnlyList<string>> NamesAsync(ColumnOrigin origin)
    {
        await _catalog.ResolveAsync([origin], CancellationToken.None);
        Assert.That(_catalog.TryGetSource(origin, out var source), Is.True, "cached after ResolveAsync");
        return source.Names;
    }

    private async Task CreateCustomersAsync() =>
        await ExecuteAsync($"CREATE TABLE {_schema}.customers (id int PRIMARY KEY, name text, ssn text)");

    [Test]
    public async Task A_table_column_is_named_schema_table_column()
    {
        await CreateCustomersAsync();
        var ssn = await OriginOfAsync($"{_schema}.customers", "ssn");

        Assert.That(_catalog.TryGetSource(ssn, out _), Is.False, "nothing is cached before the first lookup");
        Assert.That(await NamesAsync(ssn), Is.EqualTo(new[] { $"{_schema}.customers.ssn" }));
    }

    [Test]
    public async Task Names_keep_the_catalogs_own_spelling_without_quotes()
    {
        await ExecuteAsync($$"""CREATE TABLE {{_schema}}."Odd {Table}" ("we{ird} (col)" text, "Ünï" text)""");
        var weird = await OriginOfAsync($$"""{{_schema}}."Odd {Table}" """, "we{ird} (col)");
        var unicode = await OriginOfAsync($$"""{{_schema}}."Odd {Table}" """, "Ünï");

        await _catalog.ResolveAsync([weird, unicode], CancellationToken.None);

        Assert.That(_catalog.TryGetSource(weird, out var weirdSource) ? weirdSource.Names : null,
            Is.EqualTo(new[] { $"{_schema}.Odd {{Table}}.we{{ird}} (col)" }));
        Assert.That(_catalog.TryGetSource(unicode, out var unicodeSource) ? unicodeSource.Names : null,
            Is.EqualTo(new[] { $"{_schema}.Odd {{Table}}.Ünï" }));
    }

    [Test]
    public async Task A_view_column_is_named_by_the_view_and_the_base_column()
    {
        await CreateCustomersAsync();
        await ExecuteAsync($"CREATE VIEW {_schema}.customer_view AS SELECT c.id, c.ssn AS tax_id FROM {_schema}.customers c");

        Assert.That(await NamesAsync(await OriginOfAsync($"{_schema}.customer_view", "tax_id")),
            Is.EqualTo(new[] { $"{_schema}.customer_view.tax_id", $"{_schema}.customers.ssn" }));
    }

    [Test]
    public async Task A_view_over_a_view_is_traced_through_both()
    {
        await CreateCustomersAsync();
        await ExecuteAsync($"""
            CREATE VIEW {_schema}.inner_view AS SELECT id, ssn AS tax_id FROM {_schema}.customers;
            CREATE VIEW {_schema}.outer_view AS SELECT (SELECT 1) AS one, tax_id AS national_id FROM {_schema}.inner_view WHERE id > 0;
            """);

        Assert.That(await NamesAsync(await OriginOfAsync($"{_schema}.outer_view", "national_id")),
            Is.EqualTo(new[] { $"{_schema}.outer_view.national_id", $"{_schema}.inner_view.tax_id", $"{_schema}.customers.ssn" }));
    }

    [Test]
    public async Task A_view_column_over_a_subquery_and_a_join_finds_its_base_column()
    {
        await CreateCustomersAsync();
        await ExecuteAsync($"""
            CREATE TABLE {_schema}.orders (id int, customer_id int, amount numeric);
            CREATE VIEW {_schema}.report AS
              SELECT o.amount, s.secret FROM (SELECT id, ssn AS secret FROM {_schema}.customers) s JOIN {_schema}.orders o ON o.customer_id = s.id;
            """);
        var secret = await OriginOfAsync($"{_schema}.report", "secret");
        var amount = await OriginOfAsync($"{_schema}.report", "amount");

        await _catalog.ResolveAsync([secret, amount], CancellationToken.None);

        Assert.That(_catalog.TryGetSource(secret, out var secretSource) ? secretSource.Names : null,
            Is.EqualTo(new[] { $"{_schema}.report.secret", $"{_schema}.customers.ssn" }));
        Assert.That(_catalog.TryGetSource(amount, out var amountSource) ? amountSource.Names : null,
            Is.EqualTo(new[] { $"{_schema}.report.amount", $"{_schema}.orders.amount" }));
    }

    [Test]
    public async Task A_computed_view_column_is_named_by_the_view_only()
    {
        await CreateCustomersAsync();
        await ExecuteAsync($"CREATE VIEW {_schema}.shouting AS SELECT upper(ssn) AS loud_ssn FROM {_schema}.customers");

        Assert.That(await NamesAsync(await OriginOfAsync($"{_schema}.shouting", "loud_ssn")),
            Is.EqualTo(new[] { $"{_schema}.shouting.loud_ssn" }));
    }

    [Test]
    public async Task A_materialized_view_column_is_traced_like_a_view_column()
    {
        await CreateCustomersAsync();
        await ExecuteAsync($"CREATE MATERIALIZED VIEW {_schema}.snapshot AS SELECT ssn FROM {_schema}.customers");

        Assert.That(await NamesAsync(await OriginOfAsync($"{_schema}.snapshot", "ssn")),
            Is.EqualTo(new[] { $"{_schema}.snapshot.ssn", $"{_schema}.customers.ssn" }));
    }

    [Test]
    public async Task An_expression_origin_has_no_source_without_a_lookup()
    {
        Assert.That(_catalog.TryGetSource(new ColumnOrigin(0, 0), out var source), Is.True);
        Assert.That(source, Is.SameAs(ColumnSource.None));
        Assert.That(_catalog.ServerProcessId, Is.Null, "no connection was needed");
    }

    [Test]
    public async Task Renames_and_drops_are_seen_after_Invalidate_and_not_before()
    {
        await CreateCustomersAsync();
        await ExecuteAsync($"CREATE VIEW {_schema}.customer_view AS SELECT id, ssn FROM {_schema}.customers");
        var ssn = await OriginOfAsync($"{_schema}.customers", "ssn");
        var viewSsn = await OriginOfAsync($"{_schema}.customer_view", "ssn");
        var name = await OriginOfAsync($"{_schema}.customers", "name");
        await _catalog.ResolveAsync([ssn, viewSsn, name], CancellationToken.None);

        await ExecuteAsync($"""
            ALTER TABLE {_schema}.customers RENAME COLUMN ssn TO tax_id;
            ALTER VIEW {_schema}.customer_view RENAME TO people;
            ALTER TABLE {_schema}.customers DROP COLUMN name;
            """);
        Assert.That(_catalog.TryGetSource(ssn, out var stale) ? stale.Names : null, Is.EqualTo(new[] { $"{_schema}.customers.ssn" }),
            "answers are cached until invalidated");

        _catalog.Invalidate();
        Assert.That(_catalog.TryGetSource(ssn, out _), Is.False);
        await _catalog.ResolveAsync([ssn, viewSsn, name], CancellationToken.None);

        Assert.That(_catalog.TryGetSource(ssn, out var renamed) ? renamed.Names : null, Is.EqualTo(new[] { $"{_schema}.customers.tax_id" }));
        Assert.That(_catalog.TryGetSource(viewSsn, out var view) ? view.Names : null,
            Is.EqualTo(new[] { $"{_schema}.people.ssn", $"{_schema}.customers.tax_id" }));
        Assert.That(_catalog.TryGetSource(name, out var dropped), Is.True, "a dropped column is cached too");
        Assert.That(dropped!.Names, Is.Empty);
    }

    [Test]
    public async Task Answers_expire_after_their_time_to_live()
    {
        var clock = new ManualClock();
        await using var catalog = new ColumnCatalog(Target(), Connector(), TimeSpan.FromMinutes(5), timeProvider: clock);
        await CreateCustomersAsync();
        var ssn = await OriginOfAsync($"{_schema}.customers", "ssn");
        await catalog.ResolveAsync([ssn], CancellationToken.None);
        await ExecuteAsync($"ALTER TABLE {_schema}.customers RENAME COLUMN ssn TO tax_id");

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.That(catalog.TryGetSource(ssn, out var cached) ? cached.Names : null, Is.EqualTo(new[] { $"{_schema}.customers.ssn" }));

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That(catalog.TryGetSource(ssn, out _), Is.False, "expired");
        await catalog.ResolveAsync([ssn], CancellationToken.None);
        Assert.That(catalog.TryGetSource(ssn, out var fresh) ? fresh.Names : null, Is.EqualTo(new[] { $"{_schema}.customers.tax_id" }));
    }

    [Test]
    public async Task A_cached_lookup_allocates_nothing()
    {
        await CreateCustomersAsync();
        var ssn = await OriginOfAsync($"{_schema}.customers", "ssn");
        await _catalog.ResolveAsync([ssn], CancellationToken.None);
        var unknown = new ColumnOrigin(ssn.TableOid, 99);
        _catalog.TryGetSource(ssn, out _);
        _catalog.TryGetSource(unknown, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _catalog.TryGetSource(ssn, out _);
            _catalog.TryGetSource(unknown, out _);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public async Task Concurrent_lookups_share_one_connection_and_agree()
    {
        await CreateCustomersAsync();
        var origins = new[] { await OriginOfAsync($"{_schema}.customers", "ssn"), await OriginOfAsync($"{_schema}.customers", "name") };
        var earlier = await CatalogBackendsAsync();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            if (i % 5 == 0)
            {
                _catalog.Invalidate();
            }

            await _catalog.ResolveAsync(origins, CancellationToken.None);
        })));

        await _catalog.ResolveAsync(origins, CancellationToken.None);
        Assert.That(_catalog.TryGetSource(origins[0], out var ssn) ? ssn.Names : null, Is.EqualTo(new[] { $"{_schema}.customers.ssn" }));
        Assert.That(_catalog.TryGetSource(origins[1], out var name) ? name.Names : null, Is.EqualTo(new[] { $"{_schema}.customers.name" }));
        Assert.That((await CatalogBackendsAsync()).Except(earlier).ToList(), Has.Count.EqualTo(1), "catalog connections opened");
    }

    [Test]
    public async Task Describe_returns_the_columns_and_caches_their_origins()
    {
        await CreateCustomersAsync();
        var ssn = await OriginOfAsync($"{_schema}.customers", "ssn");

        var fields = await _catalog.DescribeAsync($"SELECT ssn AS x, length(name) AS n FROM {_schema}.customers WHERE id = $1", CancellationToken.None);

        Assert.That(fields.Select(f => f.Name), Is.EqualTo(new[] { "x", "n" }));
        Assert.That(new ColumnOrigin(fields[0].TableOid, fields[0].ColumnAttributeNumber), Is.EqualTo(ssn));
        Assert.That(new ColumnOrigin(fields[1].TableOid, fields[1].ColumnAttributeNumber).IsExpression, Is.True);
        Assert.That(_catalog.TryGetSource(ssn, out var source) ? source.Names : null, Is.EqualTo(new[] { $"{_schema}.customers.ssn" }));
    }

    [Test]
    public async Task Describe_of_a_statement_without_rows_returns_no_columns()
    {
        await CreateCustomersAsync();

        Assert.That(await _catalog.DescribeAsync($"UPDATE {_schema}.customers SET name = 'x'", CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task Describe_of_a_bad_query_throws_with_the_servers_message_and_the_connection_stays()
    {
        await CreateCustomersAsync();
        await _catalog.DescribeAsync("SELECT 1", CancellationToken.None);
        var processId = _catalog.ServerProcessId;

        var error = await Assert.ThrowsAsync<ColumnCatalogException>(() => _catalog.DescribeAsync($"SELECT nope FROM {_schema}.customers", CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("column \"nope\" does not exist").And.Contain("42703"));
        await Assert.ThrowsAsync<ColumnCatalogException>(() => _catalog.DescribeAsync("SELEC 1", CancellationToken.None));

        Assert.That(await _catalog.DescribeAsync("SELECT 2 AS two", CancellationToken.None), Has.Count.EqualTo(1));
        Assert.That(_catalog.ServerProcessId, Is.EqualTo(processId), "a server error does not cost the connection");
    }

    [Test]
    public async Task A_statement_waiting_for_a_lock_ends_with_a_server_error_before_the_request_timeout()
    {
        await CreateCustomersAsync();
        await using var catalog = new ColumnCatalog(Target(), Connector(), requestTimeout: TimeSpan.FromSeconds(2));
        await catalog.DescribeAsync("SELECT 1", CancellationToken.None);
        var processId = catalog.ServerProcessId;
        await using (var locker = new NpgsqlConnection(TestCluster.DirectConnectionString()))
        {
            await locker.OpenAsync();
            await using var transaction = await locker.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand($"LOCK TABLE {_schema}.customers IN ACCESS EXCLUSIVE MODE", locker, transaction))
            {
                await command.ExecuteNonQueryAsync();
            }

            var error = await Assert.ThrowsAsync<ColumnCatalogException>(() => catalog.DescribeAsync($"SELECT ssn FROM {_schema}.customers", CancellationToken.None));
            Assert.That(error!.Message, Does.Contain("55P03"), "lock_timeout, set below the request timeout");
        }

        Assert.That(await catalog.DescribeAsync($"SELECT ssn FROM {_schema}.customers", CancellationToken.None), Has.Count.EqualTo(1));
        Assert.That(catalog.ServerProcessId, Is.EqualTo(processId), "the server's error leaves the connection in step");
    }

    [Test]
    public async Task A_statement_with_a_NUL_character_is_refused_without_touching_the_connection()
    {
        await _catalog.DescribeAsync("SELECT 1", CancellationToken.None);
        var processId = _catalog.ServerProcessId;

        await Assert.ThrowsAsync<ColumnCatalogException>(() => _catalog.DescribeAsync("SELECT 1\0garbage", CancellationToken.None));

        Assert.That(await _catalog.DescribeAsync("SELECT 1", CancellationToken.None), Has.Count.EqualTo(1));
        Assert.That(_catalog.ServerProcessId, Is.EqualTo(processId));
    }

    [Test]
    public async Task A_server_that_never_answers_fails_the_request_at_its_timeout_and_costs_the_connection()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var accepted = 0;
        using var stop = new CancellationTokenSource();
        var fake = Task.Run(async () =>
        {
            var held = new List<System.Net.Sockets.Socket>();
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptSocketAsync(stop.Token);
                    held.Add(socket);
                    Interlocked.Increment(ref accepted);
                    // Trust login (AuthenticationOk without a password), BackendKeyData, ReadyForQuery; then silence.
                    var startup = new byte[1024];
                    await socket.ReceiveAsync(startup, System.Net.Sockets.SocketFlags.None, stop.Token);
                    byte[] greeting = [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 0, (byte)'K', 0, 0, 0, 12, 0, 0, 0, 42, 0, 0, 0, 7, (byte)'Z', 0, 0, 0, 5, (byte)'I'];
                    await socket.SendAsync(greeting, System.Net.Sockets.SocketFlags.None, stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                held.ForEach(socket => socket.Dispose());
            }
        });
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        await using var catalog = new ColumnCatalog(Target(port), Connector(), requestTimeout: TimeSpan.FromSeconds(1));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ColumnCatalogException>(() => catalog.ResolveAsync([new ColumnOrigin(16384, 1)], CancellationToken.None));
        watch.Stop();
        await Assert.ThrowsAsync<ColumnCatalogException>(() => catalog.DescribeAsync("SELECT 1", CancellationToken.None));
        await stop.CancelAsync();
        await fake;

        Assert.That(error!.Message, Does.Contain("did not answer").And.Contain("1 s"));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(catalog.ServerProcessId, Is.Null, "the connection in an unknown state was dropped");
        Assert.That(accepted, Is.EqualTo(2), "the second request logged in again");
    }

    [Test]
    public async Task A_killed_catalog_connection_is_replaced_on_the_next_call()
    {
        await CreateCustomersAsync();
        var ssn = await OriginOfAsync($"{_schema}.customers", "ssn");
        await _catalog.ResolveAsync([ssn], CancellationToken.None);
        var processId = _catalog.ServerProcessId;
        Assert.That(processId, Is.Not.Null);

        await ExecuteAsync($"SELECT pg_terminate_backend({processId}, 5000)");
        _catalog.Invalidate();
        await _catalog.ResolveAsync([ssn], CancellationToken.None);

        Assert.That(_catalog.TryGetSource(ssn, out var source) ? source.Names : null, Is.EqualTo(new[] { $"{_schema}.customers.ssn" }));
        Assert.That(_catalog.ServerProcessId, Is.Not.Null.And.Not.EqualTo(processId));
        Assert.That(await _catalog.DescribeAsync($"SELECT ssn FROM {_schema}.customers", CancellationToken.None), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task An_unreachable_target_fails_with_a_catalog_error_that_names_no_credentials()
    {
        await using var catalog = new ColumnCatalog(Target(LocalPostgresCluster.FreeTcpPort()), Connector());

        var error = await Assert.ThrowsAsync<ColumnCatalogException>(() => catalog.ResolveAsync([new ColumnOrigin(16384, 1)], CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("bank").And.Not.Contain(TestCluster.TargetPassword).And.Not.Contain(TestCluster.TargetUser + "@"));
    }

    [Test]
    public async Task A_wrong_password_fails_with_a_catalog_error_that_names_no_credentials()
    {
        await using var catalog = new ColumnCatalog(Target() with { Password = "not-the-secret" }, Connector());

        var error = await Assert.ThrowsAsync<ColumnCatalogException>(() => catalog.DescribeAsync("SELECT 1", CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("could not log in").And.Not.Contain("not-the-secret").And.Not.Contain(TestCluster.TargetUser));
    }

    [Test]
    public async Task The_registry_keeps_one_catalog_per_target_until_its_settings_change()
    {
        await using var registry = new ColumnCatalogRegistry(Connector(), TimeSpan.FromMinutes(5));
        var target = Target();

        var first = registry.For(target);
        Assert.That(registry.For(target with { }), Is.SameAs(first), "an equal target is the same target");
        Assert.That(registry.For(target with { Name = "other" }), Is.Not.SameAs(first));
        Assert.That(registry.For(target with { ConnectTimeout = TimeSpan.FromSeconds(3) }), Is.Not.SameAs(first), "changed settings");
        Assert.That(await registry.For(target).DescribeAsync("SELECT 1 AS one", CancellationToken.None), Has.Count.EqualTo(1));
    }

    /// <summary>
    /// The server processes of column catalogs now: compared before and after, so that a backend of an earlier test,
    /// told to terminate but not gone yet, is not counted.
    /// </summary>
    private static async Task<List<int>> CatalogBackendsAsync()
    {
        await using var direct = new NpgsqlConnection(TestCluster.DirectConnectionString());
        await direct.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE application_name = 'hoopproxy column catalog'", direct);
        var pids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            pids.Add(reader.GetInt32(0));
        }

        return pids;
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _now = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _now;

        public void Advance(TimeSpan by) => _now += by.Ticks;
    }
}
