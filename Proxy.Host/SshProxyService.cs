using System.Net;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Networking;
using HoopProxy.Core.Recording;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Policy;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Host;

/// <summary>Runs the SSH listener for the lifetime of the host; stopping drains its sessions.</summary>
public sealed class SshProxyService : IHostedService, IAsyncDisposable
{
    private readonly SshConnectionHandler _handler;
    private readonly TcpConnectionListener _listener;

    public SshProxyService(SshProxyOptions options, UserDirectory users, ILoggerFactory loggerFactory, RecordingStore? recordings = null,
        ChannelPolicy? channels = null, Core.Approvals.ApprovalBroker? approvals = null, Core.Audit.AuditLog? audit = null,
        IdentityServices? identity = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _handler = new SshConnectionHandler(options, users, loggerFactory, recordings, channels: channels, approvals: approvals, audit: audit, identity: identity);
        _listener = new TcpConnectionListener("ssh", options.Listen, options.Listener, _handler, loggerFactory.CreateLogger("HoopProxy.Listener"));
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
        _handler.Dispose();
    }
}
