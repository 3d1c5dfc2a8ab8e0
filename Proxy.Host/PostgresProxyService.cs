using System.Net;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Networking;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Policy;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Host;

/// <summary>Runs the PostgreSQL listener for the lifetime of the host; stopping drains its sessions.</summary>
public sealed class PostgresProxyService : IHostedService, IAsyncDisposable
{
    private readonly PostgresConnectionHandler _handler;
    private readonly TcpConnectionListener _listener;

    public PostgresProxyService(PostgresProxyOptions options, UserDirectory users, ILoggerFactory loggerFactory, RecordingStore? recordings = null,
        PolicySource? policies = null, ApprovalBroker? approvals = null, MaskingPolicy? masking = null, Core.Audit.AuditLog? audit = null,
        IdentityServices? identity = null)
    {
        _handler = new PostgresConnectionHandler(options, users, loggerFactory, recordings, policies, approvals, masking, audit, identity);
        _listener = new TcpConnectionListener("postgres", options.Listen, options.Limits, _handler, loggerFactory.CreateLogger("HoopProxy.Listener"));
    }

    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    public int ActiveSessions => _listener.ActiveSessions;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _listener.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        await _handler.DisposeAsync();
    }
}
