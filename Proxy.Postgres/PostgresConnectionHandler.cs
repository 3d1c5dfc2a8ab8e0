using System.Buffers.Binary;
using System.Net.Sockets;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Networking;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Session;
using HoopProxy.Core.Approvals;
using HoopProxy.Postgres.Masking.Catalog;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Policy;
using HoopProxy.Postgres.Sql;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Postgres;

/// <summary>Speaks the PostgreSQL protocol on a listener's connections.</summary>
public sealed class PostgresConnectionHandler : IConnectionHandler, IAsyncDisposable
{
    private readonly PostgresSessionContext _context;
    private readonly ColumnCatalogRegistry? _catalogs;
    private readonly ILogger _logger;

    /// <param name="recordings">Where sessions are recorded; null when recording is not configured.</param>
    /// <param name="policies">The statement policy in force; null when no statement is judged.</param>
    /// <param name="approvals">Where Review statements wait for a decision; null refuses them.</param>
    public PostgresConnectionHandler(PostgresProxyOptions options, UserDirectory users, ILoggerFactory loggerFactory, RecordingStore? recordings = null,
        PolicySource? policies = null, ApprovalBroker? approvals = null, MaskingPolicy? masking = null, Core.Audit.AuditLog? audit = null,
        IdentityServices? identity = null)
    {
        _logger = loggerFactory.CreateLogger("HoopProxy.Postgres");
        var connector = new UpstreamConnector(options.Limits.Pipes, _logger);
        masking = masking is { Rules.Count: > 0 } ? masking : null;
        // Column rules need result columns named by their source: one catalog connection per target, opened on first use.
        _catalogs = masking?.Rules.Any(r => r.Columns.Count > 0) == true ? new ColumnCatalogRegistry(connector, ColumnCatalog.DefaultTimeToLive) : null;
        _context = new PostgresSessionContext(
            options,
            options.Tls?.LoadCertificate(),
            new ClientAuthenticator(users, options.ClientAuthentication, identity ?? IdentityServices.None),
            connector,
            new CancelRegistry(),
            recordings,
            new SqlAnalyzer(),
            policies,
            approvals,
            $"postgres@{options.Listen}")
        {
            Masking = masking,
            Audit = audit,
            Identity = identity ?? IdentityServices.None,
            Catalogs = _catalogs is null ? null : _catalogs.For,
        };
    }

    public CancelRegistry CancelRegistry => _context.CancelRegistry;

    public Task HandleAsync(IncomingConnection connection) => new PostgresSession(connection, _context, _logger).RunAsync();

    /// <summary>Answers an SSLRequest with 'N' first (so libpq reads the error), then "too many connections".</summary>
    public async Task RejectOverloadedAsync(Socket socket, CancellationToken cancellationToken)
    {
        var head = new byte[8];
        var received = await socket.ReceiveAsync(head, SocketFlags.None, cancellationToken);
        if (received == 8 && BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(4)) is StartupCode.SslRequest or StartupCode.GssEncRequest)
        {
            await socket.SendAsync("N"u8.ToArray(), SocketFlags.None, cancellationToken);
        }

        await ClientTransportNegotiator.SendErrorAsync(socket,
            ErrorResponse.Fatal(SqlState.TooManyConnections, "sorry, too many clients already"), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _context.Certificate?.Dispose();
        if (_catalogs is not null)
        {
            await _catalogs.DisposeAsync();
        }
    }
}
