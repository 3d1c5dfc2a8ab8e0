using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Text;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// What no well-behaved client sends: garbage, absurd lengths, half messages, wrong passwords, vanishing
/// mid-COPY; and a target that is down. Each case gets a clear ErrorResponse (or a clean close), the
/// upstream backend is released, and the next normal session through the same proxy works.
/// </summary>
public sealed class BadInputTests
{
    private const string DownTarget = "down";
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(10);
    private ProxyInstance _proxy = null!;
    private readonly ClosedPort _deadPort = new();

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // Connection logging shows whether the proxy opened an upstream connection, however short-lived.
        await TestCluster.Postgres.ExecuteAsync("ALTER SYSTEM SET log_connections = on; SELECT pg_reload_conf();");
        var deadPort = _deadPort.Port;
        _proxy = await ProxyInstance.StartAsync(options => options with
        {
            Targets = new Dictionary<string, PostgresTarget>
            {
                [TestCluster.TargetDatabase] = ProxyInstance.DefaultTarget(),
                [DownTarget] = ProxyInstance.DefaultTarget(port: deadPort) with { Name = DownTarget, ConnectTimeout = TimeSpan.FromSeconds(5) },
            }.ToFrozenDictionary(),
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _proxy.DisposeAsync();
        _deadPort.Dispose();
        await TestCluster.Postgres.ExecuteAsync("ALTER SYSTEM RESET log_connections; SELECT pg_reload_conf();");
    }

    /// <summary>A normal session through the same proxy still works, and the proxy has no session left over.</summary>
    private async Task AssertProxyStillServesAsync()
    {
        await using (var connection = new NpgsqlConnection(_proxy.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_user || '@' || current_database()", connection);
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("app@bank"));
        }

        Assert.That(await Poll.UntilAsync(() => Task.FromResult(_proxy.ActiveSessions == 0), ReleaseTimeout), Is.True,
            $"the proxy still has {_proxy.ActiveSessions} sessions open");
    }

    private static async Task AssertUpstreamReleasedAsync(int baseline)
    {
        var count = await ClusterProbe.WaitForTargetBackendsAtMostAsync(baseline, ReleaseTimeout);
        Assert.That(count, Is.LessThanOrEqualTo(baseline), "the upstream backend was not released");
    }

    private static void AssertError(RawMessage? message, string sqlState)
    {
        Assert.That(message, Is.Not.Null, "the proxy closed without an ErrorResponse");
        Assert.That((char)message!.Code, Is.EqualTo('E'), "expected an ErrorResponse");
        var fields = message.ErrorFields();
        Assert.That(fields.GetValueOrDefault('C'), Is.EqualTo(sqlState), fields.GetValueOrDefault('M'));
        Assert.That(fields.GetValueOrDefault('S'), Is.EqualTo("FATAL"));
        Assert.That(fields.GetValueOrDefault('M'), Is.Not.Empty);
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_proxy.ConnectionString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Test]
    public async Task Http_request_instead_of_a_startup_packet_gets_08P01_and_the_connection_closes()
    {
        await using var client = await RawPostgresClient.ConnectAsync(_proxy.Port);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
        AssertError(await client.ReadMessageAsync(), "08P01");
        Assert.That(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.True, "the proxy kept the connection open");
        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task Startup_packet_with_a_2GB_length_gets_08P01()
    {
        await using var client = await RawPostgresClient.ConnectAsync(_proxy.Port);
        var packet = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(packet, 0x80000000);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), 196608);
        await client.SendAsync(packet);
        AssertError(await client.ReadMessageAsync(), "08P01");
        Assert.That(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.True, "the proxy kept the connection open");
        await AssertProxyStillServesAsync();
    }

    [TestCase(0x7FFFFFF0u, "54000")]
    [TestCase(0x80000000u, "08P01")]
    public async Task Message_after_login_with_an_absurd_length_is_refused(uint length, string sqlState)
    {
        var baseline = await ClusterProbe.TargetBackendsAsync();
        await using (var client = await RawPostgresClient.ConnectAsync(_proxy.Port))
        {
            await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);
            var header = new byte[5 + 16];
            header[0] = (byte)'Q';
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), length);
            Encoding.ASCII.GetBytes("SELECT 1;").CopyTo(header, 5);
            await client.SendAsync(header);
            AssertError(await client.ReadMessageAsync(), sqlState);
            Assert.That(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)), Is.True, "the proxy kept the connection open");
        }

        await AssertUpstreamReleasedAsync(baseline);
        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task Half_a_startup_packet_then_close_harms_nobody()
    {
        await using (var client = await RawPostgresClient.ConnectAsync(_proxy.Port))
        {
            var packet = RawPostgresClient.StartupPacket(("user", ProxyInstance.UserName), ("database", TestCluster.TargetDatabase));
            await client.SendAsync(packet.AsMemory(0, packet.Length / 2));
        }

        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task Half_a_query_after_login_then_close_releases_the_upstream_backend()
    {
        var baseline = await ClusterProbe.TargetBackendsAsync();
        await using (var client = await RawPostgresClient.ConnectAsync(_proxy.Port))
        {
            await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);
            var query = RawPostgresClient.Query("SELECT 'this query never arrives whole' || repeat('x', 100)");
            await client.SendAsync(query.AsMemory(0, query.Length / 2));
        }

        await AssertUpstreamReleasedAsync(baseline);
        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task A_user_with_public_keys_only_cannot_log_in_to_postgres_with_an_empty_password()
    {
        var users = new HoopProxy.Core.Identity.UserDirectory([new HoopProxy.Core.Identity.ProxyUser("keyonly", null, []) { AuthorizedKeys = ["ssh-ed25519 AAAA test"] }]);
        await using var proxy = await ProxyInstance.StartAsync(users: users);
        await using var client = await RawPostgresClient.ConnectAsync(proxy.Port);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => client.LoginAsync("keyonly", "", TestCluster.TargetDatabase));
        Assert.That(error!.Message, Does.Contain("28P01"));
    }

    [Test]
    public async Task Wrong_password_gets_28P01_and_opens_no_upstream_connection()
    {
        var baseline = await ClusterProbe.TargetBackendsAsync();
        var rejectedName = "rejected-" + Guid.NewGuid().ToString("N")[..12];
        var acceptedName = "accepted-" + Guid.NewGuid().ToString("N")[..12];
        var logStart = new FileInfo(TestCluster.Postgres.LogFile).Length;

        var builder = new NpgsqlConnectionStringBuilder(_proxy.ConnectionString(password: "not-alice-pw")) { ApplicationName = rejectedName };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.That(error!.SqlState, Is.EqualTo(PostgresErrorCodes.InvalidPassword));
            Assert.That(error.MessageText, Does.Contain(ProxyInstance.UserName));
        }

        Assert.That(await ClusterProbe.TargetBackendsAsync(), Is.LessThanOrEqualTo(baseline), "an upstream backend appeared for a rejected client");

        // A good login with another application name must show up in the server log: proof that the log would show a rejected one too.
        builder = new NpgsqlConnectionStringBuilder(_proxy.ConnectionString()) { ApplicationName = acceptedName };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
        }

        string log = "";
        var logged = await Poll.UntilAsync(async () => (log = await ReadLogSinceAsync(logStart)).Contains(acceptedName, StringComparison.Ordinal), ReleaseTimeout);
        Assert.That(logged, Is.True, "the accepted login never appeared in the server log");
        Assert.That(log, Does.Not.Contain(rejectedName), "the proxy logged in upstream for a client with a wrong password");
        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task Target_down_gets_a_connection_class_error()
    {
        var builder = new NpgsqlConnectionStringBuilder(_proxy.ConnectionString(database: DownTarget));
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.That(error!.SqlState, Does.StartWith("08"));
            Assert.That(error.MessageText, Does.Contain($"\"{DownTarget}\""));
            Assert.That(error.MessageText, Does.Not.Contain(TestCluster.TargetPassword));
        }

        await AssertProxyStillServesAsync();
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Client_vanishing_mid_copy_releases_the_upstream_backend(bool inTheMiddleOfAMessage)
    {
        var table = $"vanish_{Guid.NewGuid():N}"[..24];
        await using (var setup = await OpenAsync())
        {
            await ScalarAsync<object>(setup, $"CREATE TABLE {table} (id int, note text)");
        }

        var baseline = await ClusterProbe.TargetBackendsAsync();
        var client = await RawPostgresClient.ConnectAsync(_proxy.Port);
        try
        {
            await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);
            await client.SendAsync(RawPostgresClient.Query($"COPY {table} FROM STDIN"));
            await client.ExpectAsync('G');
            for (var i = 0; i < 1000; i++)
            {
                await client.SendAsync(RawPostgresClient.Message('d', Encoding.UTF8.GetBytes($"{i}\tnote {i}\n")));
            }

            if (inTheMiddleOfAMessage)
            {
                var partial = RawPostgresClient.Message('d', Encoding.UTF8.GetBytes("1001\tthis row is cut in half\n"));
                await client.SendAsync(partial.AsMemory(0, 12));
            }

            // The COPY really is in progress on the server before the client disappears.
            var copying = await Poll.UntilAsync(async () =>
                await TestCluster.Postgres.ExecuteAsync($"select count(*) from pg_stat_activity where usename = 'app' and query like 'COPY {table}%' and state = 'active'") == "1",
                ReleaseTimeout);
            Assert.That(copying, Is.True, "the COPY never started on the server");
        }
        finally
        {
            client.Abort();
            await client.DisposeAsync();
        }

        await AssertUpstreamReleasedAsync(baseline);
        await using (var check = await OpenAsync())
        {
            Assert.That(await ScalarAsync<long>(check, $"SELECT count(*) FROM {table}"), Is.Zero, "an aborted COPY must not leave rows");
            await ScalarAsync<object>(check, $"DROP TABLE {table}");
        }

        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task Client_vanishing_while_copy_out_streams_releases_the_upstream_backend()
    {
        var baseline = await ClusterProbe.TargetBackendsAsync();
        var client = await RawPostgresClient.ConnectAsync(_proxy.Port);
        try
        {
            await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);
            // Far more than the proxy's and the kernel's buffers: the server is blocked sending when the client goes.
            await client.SendAsync(RawPostgresClient.Query("COPY (SELECT g, repeat('x', 1000) FROM generate_series(1, 5000000) g) TO STDOUT"));
            await client.ExpectAsync('H');
            for (var i = 0; i < 100; i++)
            {
                await client.ExpectAsync('d');
            }
        }
        finally
        {
            client.Abort();
            await client.DisposeAsync();
        }

        await AssertUpstreamReleasedAsync(baseline);
        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task Default_target_down_gets_a_connection_class_error_in_psql()
    {
        using var dead = new ClosedPort();
        var deadPort = dead.Port;
        await using var proxy = await ProxyInstance.StartAsync(options => options with
        {
            Targets = new Dictionary<string, PostgresTarget> { [TestCluster.TargetDatabase] = ProxyInstance.DefaultTarget(port: deadPort) }.ToFrozenDictionary(),
        });

        await using (var connection = new NpgsqlConnection(proxy.ConnectionString()))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.That(error!.SqlState, Does.StartWith("08"));
        }

        var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", "SELECT 1"], proxy.LibpqEnvironment(), timeout: TimeSpan.FromSeconds(30));
        Assert.That(psql.ExitCode, Is.EqualTo(2), psql.Combined);
        Assert.That(psql.StandardError, Does.Contain($"could not connect to target \"{TestCluster.TargetDatabase}\""));
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(proxy.ActiveSessions == 0), ReleaseTimeout), Is.True);
    }

    private static async Task<string> ReadLogSinceAsync(long offset)
    {
        await using var stream = new FileStream(TestCluster.Postgres.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
