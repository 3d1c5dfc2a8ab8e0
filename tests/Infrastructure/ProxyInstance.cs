using System.Collections.Frozen;
using System.Net;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Networking;
using HoopProxy.Host;
using HoopProxy.Postgres.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using HoopProxy.Tests;
using SslMode = HoopProxy.Postgres.Configuration.SslMode;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>A HoopProxy PostgreSQL listener running in the test process on a free port, in front of <see cref="TestCluster"/>.</summary>
public sealed class ProxyInstance : IAsyncDisposable
{
    public const string UserName = "alice";
    public const string UserPassword = "alice-pw";

    private readonly PostgresProxyService _service;

    private ProxyInstance(PostgresProxyService service, PostgresProxyOptions options)
    {
        _service = service;
        Options = options;
    }

    public PostgresProxyOptions Options { get; }

    public int Port => _service.LocalEndPoint.Port;

    public int ActiveSessions => _service.ActiveSessions;

    /// <summary>The default target: the test cluster's "bank" database, logged in as "app".</summary>
    public static PostgresTarget DefaultTarget(SslMode sslMode = SslMode.Prefer, int? port = null) => new()
    {
        Name = TestCluster.TargetDatabase,
        Host = "127.0.0.1",
        Port = port ?? TestCluster.Postgres.Port,
        Database = TestCluster.TargetDatabase,
        Username = TestCluster.TargetUser,
        Password = TestCluster.TargetPassword,
        SslMode = sslMode,
    };

    public static UserDirectory DefaultUsers() => new([
        new ProxyUser(UserName, UserPassword, ["analysts"]),
        new ProxyUser("bob", "bob-pw", ["engineers"]),
    ]);

    /// <summary>Starts a proxy; <paramref name="configure"/> may change the options (targets, TLS, limits).</summary>
    public static Task<ProxyInstance> StartAsync(Func<PostgresProxyOptions, PostgresProxyOptions>? configure = null, UserDirectory? users = null,
        ILoggerFactory? loggerFactory = null, HoopProxy.Core.Recording.RecordingStore? recordings = null, HoopProxy.Postgres.Policy.PolicySource? policies = null,
        HoopProxy.Core.Approvals.ApprovalBroker? approvals = null, HoopProxy.Postgres.Masking.Rules.MaskingPolicy? masking = null,
        HoopProxy.Core.Audit.AuditLog? audit = null, IdentityServices? identity = null)
    {
        var options = new PostgresProxyOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            DefaultTarget = TestCluster.TargetDatabase,
            Targets = new Dictionary<string, PostgresTarget> { [TestCluster.TargetDatabase] = DefaultTarget() }.ToFrozenDictionary(),
            Limits = new ListenerLimits(),
        };
        options = configure?.Invoke(options) ?? options;
        var service = new PostgresProxyService(options, users ?? DefaultUsers(), loggerFactory ?? NullLoggerFactory.Instance, recordings, policies, approvals, masking, audit, identity);
        service.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return Task.FromResult(new ProxyInstance(service, options));
    }

    /// <summary>An Npgsql connection string through the proxy as a proxy user.</summary>
    public string ConnectionString(string user = UserName, string password = UserPassword, string database = TestCluster.TargetDatabase, Npgsql.SslMode sslMode = Npgsql.SslMode.Disable) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = user,
            Password = password,
            Database = database,
            SslMode = sslMode,
            Pooling = false,
            Timeout = 15,
            CommandTimeout = 60,
        }.ConnectionString;

    /// <summary>libpq environment for psql/pgbench through the proxy.</summary>
    public Dictionary<string, string> LibpqEnvironment(string user = UserName, string password = UserPassword) => new()
    {
        ["PGHOST"] = "127.0.0.1",
        ["PGPORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PGUSER"] = user,
        ["PGPASSWORD"] = password,
        ["PGDATABASE"] = TestCluster.TargetDatabase,
        ["PGCONNECT_TIMEOUT"] = "15",
    };

    public Task StopAsync() => _service.StopAsync(CancellationToken.None);

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();
}
