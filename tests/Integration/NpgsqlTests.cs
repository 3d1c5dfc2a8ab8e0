using System.Data;
using System.Security.Cryptography;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>Npgsql through the proxy: extended protocol, batches, binary COPY, prepared statements, cancel, notifications, large values.</summary>
public sealed class NpgsqlTests
{
    private ProxyInstance _proxy = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _proxy = await ProxyInstance.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _proxy.DisposeAsync();

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_proxy.ConnectionString());
        await connection.OpenAsync();
        return connection;
    }

    private static string UniqueName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..30];

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Test]
    public async Task Queries_with_parameters_and_many_rows()
    {
        await using var connection = await OpenAsync();
        Assert.That(await ScalarAsync<string>(connection, "SELECT $1 || '@' || current_database()", "hello"), Is.EqualTo("hello@bank"));
        Assert.That(await ScalarAsync<long>(connection, "SELECT sum(g) FROM generate_series(1, $1) g", 100_000), Is.EqualTo(5_000_050_000L));

        await using var command = new NpgsqlCommand("SELECT g, md5(g::text) FROM generate_series(1, 20000) g ORDER BY g", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
            Assert.That(reader.GetInt32(0), Is.EqualTo(rows));
            Assert.That(reader.GetString(1), Is.EqualTo(Convert.ToHexStringLower(MD5.HashData(System.Text.Encoding.ASCII.GetBytes(rows.ToString(System.Globalization.CultureInfo.InvariantCulture))))));
        }

        Assert.That(rows, Is.EqualTo(20000));
    }

    [Test]
    public async Task Batch_with_an_error_in_the_middle_reports_it_and_the_connection_stays_usable()
    {
        await using var connection = await OpenAsync();
        var table = UniqueName("batch");
        await ExecuteAsync(connection, $"CREATE TABLE {table} (id int PRIMARY KEY)");
        try
        {
            NpgsqlBatch NewBatch() => new(connection)
            {
                BatchCommands =
                {
                    new($"INSERT INTO {table} VALUES (1) RETURNING 'first'"),
                    new("SELECT 1/0"),
                    new($"INSERT INTO {table} VALUES (2) RETURNING 'third'"),
                },
            };

            await using (var batch = NewBatch())
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync());
                Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.DivisionByZero));
            }

            // Read result by result: the first command's result arrives, the error belongs to the second.
            await using (var batch = NewBatch())
            await using (var reader = await batch.ExecuteReaderAsync())
            {
                Assert.That(await reader.ReadAsync(), Is.True);
                Assert.That(reader.GetString(0), Is.EqualTo("first"));
                var error = await Assert.ThrowsAsync<PostgresException>(() => reader.NextResultAsync());
                Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.DivisionByZero));
                Assert.That(error.MessageText, Is.EqualTo("division by zero"));
            }

            // The batch was one implicit transaction, so nothing of it stayed; the connection is idle and usable.
            Assert.That(connection.State, Is.EqualTo(ConnectionState.Open));
            Assert.That(await ScalarAsync<long>(connection, $"SELECT count(*) FROM {table}"), Is.Zero);
            Assert.That(await ScalarAsync<int>(connection, "SELECT 42"), Is.EqualTo(42));
        }
        finally
        {
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {table}");
        }
    }

    [Test]
    public async Task Binary_copy_import_and_export_row_by_row()
    {
        const int rows = 20_000;
        await using var connection = await OpenAsync();
        var table = UniqueName("bcopy");
        await ExecuteAsync(connection, $"CREATE TABLE {table} (id int, name text, payload bytea, at timestamptz, ratio double precision)");

        var origin = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        static byte[] Payload(int i) => Enumerable.Range(0, i % 97).Select(b => (byte)(b * i)).ToArray();
        static string? Name(int i) => i % 11 == 0 ? null : $"name-{i}-ünïcode";
        try
        {
            await using (var import = await connection.BeginBinaryImportAsync($"COPY {table} (id, name, payload, at, ratio) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = 0; i < rows; i++)
                {
                    await import.StartRowAsync();
                    await import.WriteAsync(i, NpgsqlDbType.Integer);
                    if (Name(i) is { } name)
                    {
                        await import.WriteAsync(name, NpgsqlDbType.Text);
                    }
                    else
                    {
                        await import.WriteNullAsync();
                    }

                    await import.WriteAsync(Payload(i), NpgsqlDbType.Bytea);
                    await import.WriteAsync(origin.AddSeconds(i), NpgsqlDbType.TimestampTz);
                    await import.WriteAsync(i / 3.0, NpgsqlDbType.Double);
                }

                Assert.That(await import.CompleteAsync(), Is.EqualTo((ulong)rows));
            }

            Assert.That(await ScalarAsync<long>(connection, $"SELECT count(*) FROM {table}"), Is.EqualTo(rows));

            var seen = 0;
            await using (var export = await connection.BeginBinaryExportAsync($"COPY (SELECT id, name, payload, at, ratio FROM {table} ORDER BY id) TO STDOUT (FORMAT BINARY)"))
            {
                while (await export.StartRowAsync() != -1)
                {
                    var id = await export.ReadAsync<int>(NpgsqlDbType.Integer);
                    Assert.That(id, Is.EqualTo(seen));
                    if (Name(id) is { } name)
                    {
                        Assert.That(await export.ReadAsync<string>(NpgsqlDbType.Text), Is.EqualTo(name));
                    }
                    else
                    {
                        Assert.That(export.IsNull, Is.True);
                        await export.SkipAsync();
                    }

                    Assert.That(await export.ReadAsync<byte[]>(NpgsqlDbType.Bytea), Is.EqualTo(Payload(id)));
                    Assert.That(await export.ReadAsync<DateTime>(NpgsqlDbType.TimestampTz), Is.EqualTo(origin.AddSeconds(id)));
                    Assert.That(await export.ReadAsync<double>(NpgsqlDbType.Double), Is.EqualTo(id / 3.0));
                    seen++;
                }
            }

            Assert.That(seen, Is.EqualTo(rows));
            Assert.That(await ScalarAsync<int>(connection, "SELECT 7"), Is.EqualTo(7));
        }
        finally
        {
            await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {table}");
        }
    }

    [Test]
    public async Task Prepared_statement_runs_several_times()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT $1::int * 2, $2::text || '!'", connection);
        var number = command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
        var text = command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
        await command.PrepareAsync();
        Assert.That(command.IsPrepared, Is.True);

        for (var i = 0; i < 10; i++)
        {
            number.Value = i;
            text.Value = $"run {i}";
            await using var reader = await command.ExecuteReaderAsync();
            Assert.That(await reader.ReadAsync(), Is.True);
            Assert.That(reader.GetInt32(0), Is.EqualTo(i * 2));
            Assert.That(reader.GetString(1), Is.EqualTo($"run {i}!"));
        }

        // The statement really lives on the server session behind the proxy.
        Assert.That(await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1::int * 2, $2::text || ''!'''"), Is.EqualTo(1));
    }

    [Test]
    public async Task Cancel_during_pg_sleep_is_mapped_to_the_upstream_backend()
    {
        await using var connection = await OpenAsync();
        var backendPid = await ScalarAsync<int>(connection, "SELECT pg_backend_pid()");
        await using var command = new NpgsqlCommand("SELECT pg_sleep(30)", connection);
        var running = command.ExecuteNonQueryAsync();

        await using (var observer = await OpenAsync())
        {
            var sleeping = await Poll.UntilAsync(
                async () => await ScalarAsync<long>(observer, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep%'", backendPid) == 1,
                TimeSpan.FromSeconds(10));
            Assert.That(sleeping, Is.True, "the query never started on the server");
        }

        command.Cancel();
        // Npgsql reports a cancel it asked for as OperationCanceledException around the server's 57014 (as on a direct connection).
        var cancelled = await Assert.ThrowsAsync<OperationCanceledException>(async () => await running);
        Assert.That(cancelled!.InnerException, Is.TypeOf<PostgresException>());
        Assert.That(((PostgresException)cancelled.InnerException!).SqlState, Is.EqualTo(PostgresErrorCodes.QueryCanceled));

        Assert.That(connection.State, Is.EqualTo(ConnectionState.Open));
        Assert.That(await ScalarAsync<int>(connection, "SELECT pg_backend_pid()"), Is.EqualTo(backendPid));
    }

    [Test]
    public async Task Listen_notify_delivers_the_payload()
    {
        var channel = UniqueName("chan");
        await using var listener = await OpenAsync();
        await using var notifier = await OpenAsync();
        var received = new List<(string Channel, string Payload)>();
        listener.Notification += (_, e) => received.Add((e.Channel, e.Payload));
        await using (var listen = new NpgsqlCommand($"LISTEN {channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using (var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", notifier))
        {
            notify.Parameters.AddWithValue(channel);
            notify.Parameters.AddWithValue("payload through the proxy");
            await notify.ExecuteNonQueryAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await listener.WaitAsync(timeout.Token);
        Assert.That(received, Is.EqualTo(new[] { (channel, "payload through the proxy") }));
        Assert.That(await ScalarAsync<int>(listener, "SELECT 1"), Is.EqualTo(1));
    }

    [Test]
    public async Task Hundred_megabyte_bytea_both_ways()
    {
        const int size = 100 * 1024 * 1024;
        var value = new byte[size];
        new Random(12345).NextBytes(value);
        var expected = SHA256.HashData(value);

        await using var connection = await OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE big_value (data bytea) ON COMMIT DROP", connection, transaction))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using (var insert = new NpgsqlCommand("INSERT INTO big_value VALUES ($1)", connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea, Value = value });
            Assert.That(await insert.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        value = null;
        await using (var check = new NpgsqlCommand("SELECT length(data), sha256(data) FROM big_value", connection, transaction))
        await using (var reader = await check.ExecuteReaderAsync())
        {
            Assert.That(await reader.ReadAsync(), Is.True);
            Assert.That(reader.GetInt32(0), Is.EqualTo(size));
            Assert.That(reader.GetFieldValue<byte[]>(1), Is.EqualTo(expected), "the server stored different bytes");
        }

        await using (var select = new NpgsqlCommand("SELECT data FROM big_value", connection, transaction))
        await using (var reader = await select.ExecuteReaderAsync(CommandBehavior.SequentialAccess))
        {
            Assert.That(await reader.ReadAsync(), Is.True);
            await using var stream = await reader.GetStreamAsync(0);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
            }

            Assert.That(total, Is.EqualTo(size));
            Assert.That(hash.GetHashAndReset(), Is.EqualTo(expected), "the client received different bytes");
        }

        await transaction.CommitAsync();
    }
}
