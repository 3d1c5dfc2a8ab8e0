using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using HoopProxy.Core.Networking;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>Limits, routing, protocol negotiation and graceful shutdown, seen from real clients.</summary>
public sealed class ListenerLifecycleTests
{
    private static async Task<NpgsqlConnection> OpenAsync(ProxyInstance proxy)
    {
        var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Test]
    public async Task Shutdown_ends_an_idle_session_with_admin_shutdown()
    {
        await using var proxy = await ProxyInstance.StartAsync(o => o with { Limits = new ListenerLimits { ShutdownTimeout = TimeSpan.FromSeconds(30) } });
        await using var idle = await OpenAsync(proxy);
        Assert.That(await ScalarAsync(idle, "SELECT 1"), Is.EqualTo(1));

        await proxy.StopAsync();

        Assert.That(proxy.ActiveSessions, Is.Zero);
        var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(idle, "SELECT 2"));
        Assert.That(error!.SqlState, Is.EqualTo("57P01"));
    }

    [Test]
    public async Task Shutdown_lets_a_running_query_finish_then_ends_the_session()
    {
        await using var proxy = await ProxyInstance.StartAsync(o => o with { Limits = new ListenerLimits { ShutdownTimeout = TimeSpan.FromSeconds(30) } });
        await using var busy = await OpenAsync(proxy);
        var running = ScalarAsync(busy, "SELECT 42 FROM pg_sleep(1.5)");
        await WaitUntilAsync(async () => await TestCluster.Postgres.ExecuteAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT 42 FROM pg_sleep%' AND state = 'active'") == "1");

        await proxy.StopAsync();

        Assert.That(await running, Is.EqualTo(42));
        var ended = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(busy, "SELECT 1"));
        Assert.That(ended!.SqlState, Is.EqualTo("57P01"), "after its query the session is ended at the next idle point");
        await Assert.ThrowsAsync(Is.InstanceOf<NpgsqlException>(), () => OpenAsync(proxy), "a stopped proxy accepts no new session");
    }

    [Test]
    public async Task Shutdown_answers_every_pipelined_query_before_ending_the_session()
    {
        var table = $"drain_{Guid.NewGuid():N}";
        await TestCluster.Postgres.ExecuteAsync($"CREATE TABLE {table} (id int); ALTER TABLE {table} OWNER TO {TestCluster.TargetUser};", TestCluster.TargetDatabase);
        await using var proxy = await ProxyInstance.StartAsync(o => o with { Limits = new ListenerLimits { ShutdownTimeout = TimeSpan.FromSeconds(30) } });
        await using var client = await RawPostgresClient.ConnectAsync(proxy.Port);
        await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);

        // Two queries in one write: when the first one's ReadyForQuery comes back, the second is already at the server.
        byte[] pipelined = [.. RawPostgresClient.Query("SELECT pg_sleep(1)"), .. RawPostgresClient.Query($"INSERT INTO {table} VALUES (1)")];
        await client.SendAsync(pipelined);
        await WaitUntilAsync(async () => await TestCluster.Postgres.ExecuteAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(1)' AND state = 'active'") == "1");
        var stopping = proxy.StopAsync();

        var codes = new System.Text.StringBuilder();
        RawMessage? message;
        while ((message = await client.ReadMessageAsync()) is not null)
        {
            codes.Append((char)message.Code);
            if (message.Code == 'E')
            {
                Assert.That(message.ErrorFields()['C'], Is.EqualTo("57P01"));
            }
        }

        await stopping;
        // RowDescription, DataRow, CommandComplete, ReadyForQuery; CommandComplete (INSERT), ReadyForQuery; then 57P01.
        Assert.That(codes.ToString(), Is.EqualTo("TDCZCZE"), "the INSERT the server committed is reported as done, never as terminated");
        Assert.That(await TestCluster.Postgres.ExecuteAsync($"SELECT count(*) FROM {table}", TestCluster.TargetDatabase), Is.EqualTo("1"));
    }

    [Test]
    public async Task Shutdown_closes_sessions_still_busy_after_the_drain_time()
    {
        await using var proxy = await ProxyInstance.StartAsync(o => o with { Limits = new ListenerLimits { ShutdownTimeout = TimeSpan.FromSeconds(1) } });
        await using var busy = await OpenAsync(proxy);
        var running = ScalarAsync(busy, "SELECT pg_sleep(60)");
        await WaitUntilAsync(async () => await TestCluster.Postgres.ExecuteAsync(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'") == "1");

        await proxy.StopAsync();

        await Assert.ThrowsAsync(Is.InstanceOf<NpgsqlException>(), () => running);
        Assert.That(proxy.ActiveSessions, Is.Zero);
    }

    [Test]
    public async Task The_connection_limit_refuses_the_next_client_with_53300_and_serves_the_others()
    {
        await using var proxy = await ProxyInstance.StartAsync(o => o with { Limits = new ListenerLimits { MaxConnections = 2 } });
        await using var first = await OpenAsync(proxy);
        await using var second = await OpenAsync(proxy);

        var error = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(proxy));
        Assert.That(error!.SqlState, Is.EqualTo("53300"));
        Assert.That(await ScalarAsync(first, "SELECT 1"), Is.EqualTo(1));
        Assert.That(await ScalarAsync(second, "SELECT 2"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_client_that_never_finishes_startup_is_told_so_and_closed()
    {
        await using var proxy = await ProxyInstance.StartAsync(o => o with { Limits = new ListenerLimits { StartupTimeout = TimeSpan.FromSeconds(1) } });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", proxy.Port);

        var received = await RawProtocol.ReceiveUntilClosedAsync(socket, TimeSpan.FromSeconds(20));

        var error = RawProtocol.ParseError(received);
        Assert.That(error.SqlState, Is.EqualTo("08P01"));
        Assert.That(error.Message, Does.Contain("did not finish"));
    }

    [Test]
    public async Task A_newer_minor_version_and_pq_options_get_NegotiateProtocolVersion()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", proxy.Port);
        await socket.SendAsync(RawProtocol.StartupPacket(ProxyInstance.UserName, TestCluster.TargetDatabase, (3 << 16) | 2, ("_pq_.compression", "on")), SocketFlags.None);

        var negotiate = await RawProtocol.ReceiveMessageAsync(socket, TimeSpan.FromSeconds(10));
        Assert.That(negotiate.Code, Is.EqualTo((byte)'v'));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(negotiate.Body), Is.Zero, "newest minor version supported");
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(negotiate.Body.AsSpan(4)), Is.EqualTo(1), "number of unrecognised options");
        Assert.That(Encoding.UTF8.GetString(negotiate.Body, 8, negotiate.Body.Length - 9), Is.EqualTo("_pq_.compression"));

        var next = await RawProtocol.ReceiveMessageAsync(socket, TimeSpan.FromSeconds(10));
        Assert.That(next.Code, Is.EqualTo((byte)'R'), "authentication goes on after the negotiation");
    }

    [Test]
    public async Task An_unknown_target_in_the_database_parameter_is_refused_with_3D000()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        await using var connection = new NpgsqlConnection(proxy.ConnectionString(database: "nosuchtarget"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.That(error!.SqlState, Is.EqualTo("3D000"));
        Assert.That(error.MessageText, Does.Contain("nosuchtarget"));
    }

    [Test]
    public async Task The_libpq_default_database_leads_to_the_default_target()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        // libpq and Npgsql default the database to the user name when none is given.
        await using var connection = new NpgsqlConnection(proxy.ConnectionString(database: ProxyInstance.UserName));
        await connection.OpenAsync();
        Assert.That(await ScalarAsync(connection, "SELECT current_database()"), Is.EqualTo(TestCluster.TargetDatabase));
    }

    [Test]
    public async Task A_replication_connection_is_refused_with_0A000()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", proxy.Port);
        await socket.SendAsync(RawProtocol.StartupPacket(ProxyInstance.UserName, TestCluster.TargetDatabase, 3 << 16, ("replication", "database")), SocketFlags.None);

        var error = RawProtocol.ParseError(await RawProtocol.ReceiveUntilClosedAsync(socket, TimeSpan.FromSeconds(10)));
        Assert.That(error.SqlState, Is.EqualTo("0A000"));
        Assert.That(error.Message, Does.Contain("replication"));
    }

    [Test]
    public async Task Target_names_are_not_revealed_before_authentication()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        await using var connection = new NpgsqlConnection(proxy.ConnectionString(password: "wrong", database: "nosuchtarget"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.That(error!.SqlState, Is.EqualTo("28P01"), "a wrong password is reported before anything about the target");
    }

    [Test]
    public async Task An_unsupported_protocol_version_is_refused_with_0A000()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", proxy.Port);
        await socket.SendAsync(RawProtocol.StartupPacket(ProxyInstance.UserName, TestCluster.TargetDatabase, 2 << 16), SocketFlags.None);

        var error = RawProtocol.ParseError(await RawProtocol.ReceiveUntilClosedAsync(socket, TimeSpan.FromSeconds(10)));
        Assert.That(error.SqlState, Is.EqualTo("0A000"));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition) =>
        Assert.That(await Poll.UntilAsync(condition, TimeSpan.FromSeconds(20)), Is.True, "condition not reached within 20 s");
}
