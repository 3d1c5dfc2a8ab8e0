using System.Buffers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Recording;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Core.Identity.Sessions;
using HoopProxy.Core.Networking;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Policy;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Protocol.Frontend;
using HoopProxy.Postgres.Session.Audit;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// One client connection from first byte to close: encryption, startup, proxy authentication, upstream
/// login with the target's credentials, then the two-way relay. Errors reach the client as ErrorResponse
/// with a SQLSTATE; nothing here can take down another session.
/// </summary>
internal sealed partial class PostgresSession
{
    private static readonly HashSet<string> ProxyOwnedParameters = new(StringComparer.Ordinal) { "user", "database" };
    private readonly IncomingConnection _connection;
    private readonly PostgresSessionContext _context;
    private readonly ILogger _logger;
    private ProxyUser? _user;
    private ClientLogin? _login;

    /// <summary>The cancel key this session gave its client; registered until the session ends, whatever ends it.</summary>
    private BackendKeyData? _clientKey;

    /// <summary>The session's recording, from the login attempt on (null when recording is not configured).</summary>
    private ISessionRecording? _recording;
    private string _endReason = "ended during startup";
    private readonly SessionCancelHooks _cancelHooks = new();

    public PostgresSession(IncomingConnection connection, PostgresSessionContext context, ILogger logger)
    {
        _connection = connection;
        _context = context;
        _logger = logger;
    }

    private PostgresProxyOptions Options => _context.Options;

    public async Task RunAsync()
    {
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(_connection.Aborted);
        startup.CancelAfter(Options.Limits.StartupTimeout);

        ClientTransport transport;
        try
        {
            transport = await ClientTransportNegotiator.NegotiateAsync(_connection.Socket, _context.Certificate, Options.Limits.Pipes, startup.Token);
        }
        catch (PostgresProtocolException e)
        {
            LogRefused(_logger, _connection.Id, _connection.RemoteEndPoint, e.SqlState, e.Message);
            await AuditConnectionQuietlyAsync(e.SqlState, e.Message);
            await TrySendRawErrorAsync(ErrorResponse.Fatal(e.SqlState, e.Message));
            return;
        }
        catch (ClientTlsHandshakeException e)
        {
            LogHandshakeFailed(_logger, _connection.Id, _connection.RemoteEndPoint, e.Message);
            await AuditConnectionQuietlyAsync("tls-handshake-failed", e.Message);
            return;
        }
        catch (OperationCanceledException) when (startup.IsCancellationRequested && !_connection.Aborted.IsCancellationRequested)
        {
            var message = StartupTimeoutMessage();
            LogRefused(_logger, _connection.Id, _connection.RemoteEndPoint, SqlState.ProtocolViolation, message);
            await AuditConnectionQuietlyAsync(SqlState.ProtocolViolation, message);
            await TrySendRawErrorAsync(ErrorResponse.Fatal(SqlState.ProtocolViolation, message));
            return;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            LogHandshakeFailed(_logger, _connection.Id, _connection.RemoteEndPoint, e.Message);
            await AuditConnectionQuietlyAsync("connection-lost", e.Message);
            return;
        }

        if (!await AuditConnectionAsync(transport.IsTls))
        {
            await using var refused = transport.Pipe;
            await TrySendAsync(refused, ErrorResponse.Fatal(SqlState.CannotConnectNow, "the audit log is unavailable; the proxy refuses sessions it cannot audit"));
            return;
        }

        await using var client = transport.Pipe;
        try
        {
            await ServeAsync(client, transport, startup);
        }
        finally
        {
            if (_clientKey is { } key)
            {
                _context.CancelRegistry.Unregister(key);
            }

            if (_recording is not null)
            {
                try
                {
                    await _recording.CompleteAsync(_endReason);
                }
                catch (RecordingUnavailableException e)
                {
                    // Unsealed files are sealed as "interrupted" by the next start's recovery; nothing more to do here.
                    LogRecordingUnavailable(_logger, _connection.Id, e.Message);
                }

                await _recording.DisposeAsync();
            }
        }
    }

    private async Task ServeAsync(PumpedDuplexPipe client, ClientTransport transport, CancellationTokenSource startup)
    {
        UpstreamSession? upstream = null;
        try
        {
            upstream = await StartAsync(transport, startup.Token);
        }
        catch (PostgresProtocolException e)
        {
            LogRefused(_logger, _connection.Id, _connection.RemoteEndPoint, e.SqlState, e.Message);
            _endReason = $"refused: {e.SqlState} {e.Message}";
            await TrySendAsync(client, ErrorResponse.Fatal(e.SqlState, e.Message));
            return;
        }
        catch (OperationCanceledException) when (startup.IsCancellationRequested && !_connection.Aborted.IsCancellationRequested)
        {
            var message = StartupTimeoutMessage();
            LogRefused(_logger, _connection.Id, _connection.RemoteEndPoint, SqlState.ProtocolViolation, message);
            _endReason = $"refused: {SqlState.ProtocolViolation} {message}";
            await TrySendAsync(client, ErrorResponse.Fatal(SqlState.ProtocolViolation, message));
            return;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            LogHandshakeFailed(_logger, _connection.Id, _connection.RemoteEndPoint, e.Message);
            return;
        }
        catch (Exception e)
        {
            // A bug of ours: the client still gets an answer in its protocol, the details stay in our log.
            LogStartupCrashed(_logger, e, _connection.Id);
            await TrySendAsync(client, ErrorResponse.Fatal(SqlState.InternalError, "internal error in the proxy during startup"));
            return;
        }

        if (upstream is null)
        {
            return;
        }

        await using (upstream.Pipe)
        {
            await RelayAsync(client, upstream);
        }
    }

    /// <summary>The connection in the audit trail, before anything else of it; false when a fail-closed log cannot take it.</summary>
    private async Task<bool> AuditConnectionAsync(bool isTls)
    {
        if (_context.Audit is not { } audit)
        {
            return true;
        }

        try
        {
            await audit.WriteAsync(ConnectionEvent(AuditOutcome.Success, null, new JsonObject { ["tls"] = isTls }));
            return true;
        }
        catch (AuditUnavailableException e)
        {
            LogRecordingUnavailable(_logger, _connection.Id, e.Message);
            return false;
        }
    }

    /// <summary>A connection refused before its startup message: in the trail if the log can take it, in our log anyway.</summary>
    private async Task AuditConnectionQuietlyAsync(string errorCode, string reason)
    {
        if (_context.Audit is not { } audit)
        {
            return;
        }

        try
        {
            await audit.WriteAsync(ConnectionEvent(AuditOutcome.Failure, errorCode, new JsonObject { ["reason"] = reason }));
        }
        catch (AuditUnavailableException e)
        {
            LogRecordingUnavailable(_logger, _connection.Id, e.Message);
        }
    }

    private AuditEvent ConnectionEvent(AuditOutcome outcome, string? errorCode, JsonObject details) =>
        new AuditContext(null, AuditUser.Unknown, null,
                new AuditOrigin(_connection.RemoteEndPoint.Address.ToString(), _connection.RemoteEndPoint.Port),
                new AuditResource("postgres", null, null, []))
            .Event(AuditEventType.Connection, outcome, action: _context.ListenerName, errorCode: errorCode, details: details);

    private string StartupTimeoutMessage() =>
        $"startup and authentication did not finish within {Options.Limits.StartupTimeout.TotalSeconds:0.#} s";

    /// <summary>Startup packet to ReadyForQuery. Returns null when the connection carried a CancelRequest.</summary>
    private async Task<UpstreamSession?> StartAsync(ClientTransport transport, CancellationToken cancellationToken)
    {
        var client = transport.Pipe;
        var (code, payload) = await HandshakeReader.ReadStartupPacketAsync(client.Input, cancellationToken);
        if (code == StartupCode.CancelRequest && payload.Length == 8)
        {
            await ForwardCancelAsync(payload);
            return null;
        }

        if (code is StartupCode.SslRequest or StartupCode.GssEncRequest)
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "encryption request after the connection was set up");
        }

        if (StartupCode.Major(code) != 3)
        {
            throw new PostgresProtocolException(SqlState.FeatureNotSupported,
                $"unsupported frontend protocol {StartupCode.Major(code)}.{StartupCode.Minor(code)}: the proxy supports 3.0");
        }

        if (!StartupMessage.TryParse(code, new(payload), out var startup))
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte");
        }

        var unknownOptions = startup.Parameters.Select(p => p.Key).Where(k => k.StartsWith("_pq_.", StringComparison.Ordinal)).ToArray();
        if (StartupCode.Minor(code) > 0 || unknownOptions.Length > 0)
        {
            new NegotiateProtocolVersion(0, unknownOptions).WriteTo(client.Output);
        }

        var userName = startup["user"];
        if (string.IsNullOrEmpty(userName))
        {
            throw new PostgresProtocolException(SqlState.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet");
        }

        RefuseReplication(startup["replication"]);

        // Authenticate before looking at the target, as PostgreSQL checks the database only after the password:
        // an anonymous client must not learn which target names exist.
        ClientLogin login;
        PostgresTarget target;
        try
        {
            login = await _context.Authenticator.AuthenticateAsync(client, userName, transport.IsTls, cancellationToken);
            target = ResolveTarget(startup["database"], userName);
        }
        catch (PostgresProtocolException e)
        {
            // Refused logins are recorded too: who tried, from where, and why it failed.
            await BeginRecordingAsync(null, startup["database"] ?? "", null, _context.Authenticator.MethodFor(userName, transport.IsTls), startup,
                transport.IsTls, e);
            throw;
        }

        var user = login.User;
        await BeginRecordingAsync(login, target.Name, target.Username, login.Method, startup, transport.IsTls, null);
        await client.Output.FlushAsync(cancellationToken);
        LogAuthenticated(_logger, _connection.Id, user.Name, _connection.RemoteEndPoint, target.Name);

        var forwarded = startup.Parameters.Where(p => !ProxyOwnedParameters.Contains(p.Key) && !p.Key.StartsWith("_pq_.", StringComparison.Ordinal));
        UpstreamSession upstream;
        try
        {
            upstream = await _context.Connector.ConnectAsync(target, forwarded, cancellationToken);
        }
        catch (PostgresProtocolException e)
        {
            await RecordEventAsync("upstream", new JsonObject { ["target"] = target.Name, ["outcome"] = "failure", ["sqlstate"] = e.SqlState, ["message"] = e.Message });
            throw;
        }

        await RecordEventAsync("upstream", new JsonObject { ["target"] = target.Name, ["account"] = target.Username, ["outcome"] = "success", ["tls"] = upstream.IsTls });
        try
        {
            await GreetAsync(client, upstream, cancellationToken);
            _user = user;
            _login = login;
            return upstream;
        }
        catch
        {
            await upstream.Pipe.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the session's recording once the login attempt has an outcome, with a "login" event. The password
    /// exchange itself is never recorded (the event says it was left out). Fail closed: no recording, no session.
    /// </summary>
    private async Task BeginRecordingAsync(ClientLogin? login, string target, string? upstreamAccount,
        string method, StartupMessage startup, bool isTls, PostgresProtocolException? failure)
    {
        if (_context.Recordings is null && _context.Audit is null)
        {
            return;
        }

        var metadata = new SessionMetadata(
            SessionId: $"pg-{DateTimeOffset.UtcNow:yyyyMMddTHHmmss}-{_connection.Id}-{Guid.NewGuid().ToString("N")[..8]}",
            Protocol: "postgres",
            Target: target,
            Listener: _context.ListenerName,
            Identity: login?.User.Name,
            Groups: login?.User.Groups ?? [],
            AuthenticationMethod: method,
            CredentialId: login?.CredentialId,
            UpstreamAccount: upstreamAccount,
            ClientAddress: _connection.RemoteEndPoint.Address.ToString(),
            ClientPort: _connection.RemoteEndPoint.Port,
            ProxyHost: Environment.MachineName,
            StartedAt: DateTimeOffset.UtcNow)
        {
            IdentityIssuer = (login?.Token ?? RevokedToken(failure))?.Issuer,
            IdentitySubject = (login?.Token ?? RevokedToken(failure))?.Subject,
            ClaimedName = login is null ? startup["user"] : null,
        };
        if (failure?.InnerException is CredentialRevokedException revoked)
        {
            // A revoked credential was proven: the record names it, so the trail shows who kept trying.
            metadata = metadata with { CredentialId = revoked.Token?.TokenId ?? $"user:{startup["user"]}" };
        }

        try
        {
            var recording = _context.Recordings?.StartSession(metadata);
            _recording = _context.Audit is { } audit ? new AuditedSessionRecording(recording, audit, metadata) : recording;
        }
        catch (RecordingUnavailableException e)
        {
            LogRecordingUnavailable(_logger, _connection.Id, e.Message);
            throw new PostgresProtocolException(SqlState.CannotConnectNow, "session recording is unavailable; the proxy refuses sessions it cannot record");
        }

        var fields = new JsonObject
        {
            ["user"] = startup["user"],
            ["database"] = startup["database"],
            ["application_name"] = startup["application_name"],
            ["method"] = method,
            ["tls"] = isTls,
            ["outcome"] = failure is null ? "success" : "failure",
            ["redacted"] = "the password exchange is not recorded",
        };
        if (failure is not null)
        {
            fields["sqlstate"] = failure.SqlState;
            fields["message"] = failure.Message;
        }

        await RecordEventAsync("login", fields);
    }

    private static Core.Identity.Oidc.TokenIdentity? RevokedToken(PostgresProtocolException? failure) =>
        (failure?.InnerException as CredentialRevokedException)?.Token;

    private async Task RecordEventAsync(string type, JsonObject fields)
    {
        if (_recording is null)
        {
            return;
        }

        try
        {
            await _recording.WriteEventAsync(type, fields);
        }
        catch (RecordingUnavailableException e)
        {
            throw new PostgresProtocolException(SqlState.CannotConnectNow, "session recording failed; the proxy ends sessions it cannot record", e);
        }
    }

    /// <summary>AuthenticationOk, the server's parameters, the proxy's own cancel key, ReadyForQuery.</summary>
    private async Task GreetAsync(PumpedDuplexPipe client, UpstreamSession upstream, CancellationToken cancellationToken)
    {
        AuthenticationRequest.WriteOk(client.Output);
        foreach (var message in upstream.GreetingMessages)
        {
            client.Output.Write<byte>(message);
        }

        var key = _context.CancelRegistry.Register(new CancelRoute(upstream.Target, upstream.Key, _recording, _cancelHooks));
        _clientKey = key;
        key.WriteTo(client.Output);
        new ReadyForQuery(upstream.Status).WriteTo(client.Output);
        await client.Output.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// A walsender session (physical or logical replication) speaks a different command language that no
    /// part of the proxy decodes; with the target's credentials it could stream the whole cluster.
    /// </summary>
    private static void RefuseReplication(string? replication)
    {
        if (replication is not null && replication.ToLowerInvariant() is not ("false" or "off" or "no" or "0"))
        {
            throw new PostgresProtocolException(SqlState.FeatureNotSupported, "replication connections are not supported through the proxy");
        }
    }

    /// <summary>The database parameter names a target; absent, or the libpq default (the user name), means the default target.</summary>
    private PostgresTarget ResolveTarget(string? database, string userName)
    {
        if (database is not null && Options.Targets.TryGetValue(database, out var named))
        {
            return named;
        }

        if ((string.IsNullOrEmpty(database) || database == userName) && Options.DefaultTarget is not null)
        {
            return Options.Targets[Options.DefaultTarget];
        }

        throw new PostgresProtocolException(SqlState.InvalidCatalogName,
            string.IsNullOrEmpty(database) ? "no target named and no default target configured" : $"target \"{database}\" does not exist");
    }

    private async Task RelayAsync(PumpedDuplexPipe client, UpstreamSession upstream)
    {
        var limits = Options.Limits;
        var inspectable = limits.Pipes.PauseThreshold;
        var gate = new DrainGate(upstream.Status);
        var clientEdits = new RelayEdits();
        var serverEdits = new RelayEdits();
        // Statements and their outcomes are events of the recording; without a recording nobody would read them.
        var audit = _recording is null ? null : new StatementAudit(clientEdits, serverEdits);
        MessageRelay? clientBound = null;
        var guard = CreateGuard(upstream, clientEdits, serverEdits, notice => clientBound?.Inject(notice));
        var masker = CreateMasker(upstream, serverEdits);
        var frontend = new MessageRelay(client.Input, upstream.Pipe.Output, new FrontendObserver(gate, audit, guard, _context.Analyzer, masker),
            limits.MaxMessageBytes, inspectable, "client", clientEdits);
        var schemaChanges = _context.Catalogs?.Invoke(upstream.Target) is { } catalog ? new SchemaChangeWatcher(catalog) : null;
        var backend = new MessageRelay(upstream.Pipe.Input, client.Output, new BackendObserver(gate, audit, guard, masker, schemaChanges),
            limits.MaxMessageBytes, inspectable, "server", serverEdits);
        clientBound = backend;
        if (guard is not null)
        {
            clientEdits.SourceClosedWhileHeld = () => guard.Withdraw("the client disconnected");
            _cancelHooks.OnCancel = () => guard.Withdraw("the client cancelled the statement");
        }
        if (_recording is not null)
        {
            frontend.RecordTo(_recording, RecordDirection.ClientToServer, RecordedBytes.AsReceived);
            backend.RecordTo(_recording, RecordDirection.ServerToClient, RecordedBytes.AsForwarded);
        }

        using var drainRegistration = _connection.Draining.Register(() =>
        {
            if (gate.BeginDrain())
            {
                backend.Stop();
            }
        });
        using var abortRegistration = _connection.Aborted.Register(() =>
        {
            client.Abort();
            upstream.Pipe.Abort();
        });

        // Revocation and expiry end the session from outside; registered only now, so the relay is there to end.
        using var termination = new SessionTermination();
        using var watch = _context.Identity.Guardian.Watch(_login!.Credential, termination);
        // Completed off the guardian's thread: the session's end must not run on it and hold up the other sessions' ends.
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var endedRegistration = termination.Requested.Register(() => ended.TrySetResult());
        var terminated = ended.Task;

        var toServer = frontend.RunAsync(CancellationToken.None);
        var toClient = backend.RunAsync(CancellationToken.None);
        var first = await Task.WhenAny(toServer, toClient, terminated);
        string reason;
        if (first == terminated)
        {
            reason = await OnTerminatedAsync(termination.Ending!, toServer, toClient, client, upstream, frontend, backend);
        }
        else if (gate.IsClosing)
        {
            reason = await OnDrainedAsync(toServer, toClient, client, frontend, backend);
        }
        else if (first == toServer)
        {
            reason = await OnClientSideEndedAsync(toServer, toClient, client, upstream, backend);
        }
        else
        {
            reason = await OnServerSideEndedAsync(toClient, toServer, client, upstream, frontend, backend);
        }

        _endReason = reason;
        // A statement still waiting for approval when the session ends (shutdown, lost server) waits for nothing.
        guard?.Withdraw($"the session ended: {reason}");
        await RecordEventAsyncQuietly("disconnect", new JsonObject { ["reason"] = reason, ["client_messages"] = frontend.MessageCount, ["server_messages"] = backend.MessageCount });
        LogSessionEnded(_logger, _connection.Id, _user?.Name ?? "?", upstream.Target.Name, frontend.MessageCount, reason);
    }

    /// <summary>The masking rules for this session's identity and target; null when none applies, so results pass untouched.</summary>
    private ResultMasker? CreateMasker(UpstreamSession upstream, RelayEdits serverEdits)
    {
        if (_context.Masking?.ForSession(new PolicySubject(_user!.Name, _user.Groups, upstream.Target.Name)) is not { } masking)
        {
            return null;
        }

        var catalog = masking.HasColumnRules ? _context.Catalogs?.Invoke(upstream.Target) : null;
        return new ResultMasker(masking, catalog, serverEdits);
    }

    /// <summary>The statement policy for this session's identity and target, knowing the settings the session started with; null without a policy.</summary>
    private StatementGuard? CreateGuard(UpstreamSession upstream, RelayEdits clientEdits, RelayEdits serverEdits, Action<byte[]> notifyClient)
    {
        if (_context.Policies is not { } policies || _user is not { } user)
        {
            return null;
        }

        var sessionId = _recording?.SessionId ?? $"pg-{_connection.Id}";
        var guard = new StatementGuard(policies, new PolicySubject(user.Name, user.Groups, upstream.Target.Name), upstream.Target.DefaultAction,
            _context.Analyzer, clientEdits, serverEdits)
        {
            Decided = (verdict, _) => LogPolicyDecision(_logger, _connection.Id, user.Name, verdict.Action.ToString(), verdict.RuleName, verdict.Reason),
            Approvals = _context.Approvals,
            SessionId = sessionId,
            NotifyClient = notifyClient,
            ApprovalChanged = (request, decision) => LogApproval(_logger, _connection.Id, sessionId, request.Id, user.Name, request.Rule,
                decision?.Outcome.ToString() ?? "Requested", decision?.DecidedBy ?? "-", decision?.Reason ?? "-"),
        };
        foreach (var message in upstream.GreetingMessages)
        {
            if (message.Length > MessageHeader.Size && message[0] == (byte)BackendMessageCode.ParameterStatus
                && ParameterStatus.TryParse(new ReadOnlySequence<byte>(message, MessageHeader.Size, message.Length - MessageHeader.Size), out var parameter))
            {
                guard.OnGreetingParameter(parameter.Name, parameter.Value);
            }
        }

        return guard;
    }

    /// <summary>The client said Terminate, closed, or broke the protocol: let the server go, tell the client why if we can.</summary>
    private static async Task<string> OnClientSideEndedAsync(Task<RelayEnd> toServer, Task<RelayEnd> toClient, PumpedDuplexPipe client, UpstreamSession upstream, MessageRelay backend)
    {
        string reason;
        try
        {
            reason = "client " + Describe(await toServer);
        }
        catch (PostgresProtocolException e)
        {
            reason = $"client protocol error: {e.Message}";
            backend.Stop();
            await Quietly(toClient);
            if (backend.AtMessageBoundary)
            {
                await TrySendAsync(client, ErrorResponse.Fatal(e.SqlState, e.Message));
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            reason = "client connection lost";
        }

        // Closing our side makes the server end its backend, which also aborts a COPY in progress.
        await upstream.Pipe.Output.CompleteAsync();
        if (await Task.WhenAny(toClient, Task.Delay(TimeSpan.FromSeconds(5))) != toClient)
        {
            upstream.Pipe.Abort();
        }

        await Quietly(toClient);
        return reason;
    }

    /// <summary>
    /// The proxy is shutting down and the drain gate closed the session at an idle point: no client message has
    /// been forwarded since, so "terminated" is the truth about every statement the client sent.
    /// </summary>
    private static async Task<string> OnDrainedAsync(Task<RelayEnd> toServer, Task<RelayEnd> toClient, PumpedDuplexPipe client, MessageRelay frontend, MessageRelay backend)
    {
        frontend.Stop();
        backend.Stop();
        await Quietly(toServer);
        await Quietly(toClient);
        if (backend.AtMessageBoundary)
        {
            await TrySendAsync(client, ErrorResponse.Fatal(SqlState.AdminShutdown, "terminating connection because the proxy is shutting down"));
        }

        return "proxy shutdown";
    }

    /// <summary>
    /// The session's credential was revoked or its token expired: both relays stop at their next message boundary (a
    /// relay stuck behind a peer that does not read is cut off after a second), a statement still running on the target
    /// is cancelled there, and the client reads a FATAL 28000 naming the reason, as for a refused login.
    /// </summary>
    private async Task<string> OnTerminatedAsync(SessionEnding ending, Task<RelayEnd> toServer, Task<RelayEnd> toClient, PumpedDuplexPipe client,
        UpstreamSession upstream, MessageRelay frontend, MessageRelay backend)
    {
        frontend.Stop();
        backend.Stop();
        var cancel = CancelOnTargetAsync(upstream);
        var stopped = Task.WhenAll(Quietly(toServer), Quietly(toClient));
        using var grace = new CancellationTokenSource();
        var cutOff = await Task.WhenAny(stopped, Task.Delay(TerminationGrace, grace.Token)) != stopped;
        await grace.CancelAsync();
        if (cutOff)
        {
            client.Abort();
            upstream.Pipe.Abort();
            await stopped;
        }

        await RecordEventAsyncQuietly("revocation", ending.RecordFields());
        if (!cutOff && backend.AtMessageBoundary)
        {
            await TrySendAsync(client, ErrorResponse.Fatal(SqlState.InvalidAuthorizationSpecification, $"terminating connection: {ending.Reason}"));
        }

        await Quietly(cancel);
        return $"ended by the proxy: {ending.Reason}";
    }

    /// <summary>How long an imposed end waits for the relays to reach a message boundary before it cuts the connections.</summary>
    private static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(1);

    /// <summary>Closing the connection alone would leave a long statement running until it next writes; the target's cancel stops it now.</summary>
    private async Task CancelOnTargetAsync(UpstreamSession upstream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _context.Connector.SendCancelAsync(new CancelRoute(upstream.Target, upstream.Key), timeout.Token);
        }
        catch (Exception e)
        {
            // Best effort: the session ends whether or not the target heard the cancel.
            LogCancelFailed(_logger, _connection.Id, upstream.Target.Name, e.Message);
        }
    }

    /// <summary>The server closed or broke the protocol: end the client's side too.</summary>
    private static async Task<string> OnServerSideEndedAsync(Task<RelayEnd> toClient, Task<RelayEnd> toServer, PumpedDuplexPipe client,
        UpstreamSession upstream, MessageRelay frontend, MessageRelay backend)
    {
        string reason;
        try
        {
            reason = "server " + Describe(await toClient);
        }
        catch (PostgresProtocolException e)
        {
            var recordingFailed = e.SqlState == SqlState.CannotConnectNow;
            reason = recordingFailed ? e.Message : $"server protocol error: {e.Message}";
            if (backend.AtMessageBoundary)
            {
                await TrySendAsync(client, recordingFailed
                    ? ErrorResponse.Fatal(e.SqlState, e.Message)
                    : ErrorResponse.Fatal(SqlState.ConnectionFailure, $"lost the connection to target \"{upstream.Target.Name}\""));
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            reason = "server connection lost";
            if (backend.AtMessageBoundary)
            {
                await TrySendAsync(client, ErrorResponse.Fatal(SqlState.ConnectionFailure, $"lost the connection to target \"{upstream.Target.Name}\""));
            }
        }

        await client.Output.CompleteAsync();
        frontend.Stop();
        await Quietly(toServer);
        return reason;
    }

    private async Task ForwardCancelAsync(byte[] payload)
    {
        var processId = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(payload);
        var secret = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4));
        if (!_context.CancelRegistry.TryResolve(processId, secret, out var route))
        {
            // As PostgreSQL does: no answer either way, so a guesser learns nothing.
            LogCancelUnknown(_logger, _connection.Id, _connection.RemoteEndPoint);
            return;
        }

        // Recorded before it is sent, so it precedes the error the cancelled statement ends with.
        await RecordCancelAsync(route, new JsonObject { ["from"] = From(), ["status"] = "requested" });
        route.Hooks?.OnCancel?.Invoke();
        try
        {
            await _context.Connector.SendCancelAsync(route, _connection.Aborted);
            LogCancelForwarded(_logger, _connection.Id, route.Target.Name);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or PostgresProtocolException or System.Security.Authentication.AuthenticationException)
        {
            LogCancelFailed(_logger, _connection.Id, route.Target.Name, e.Message);
            await RecordCancelAsync(route, new JsonObject { ["from"] = From(), ["status"] = "failed", ["reason"] = e.Message });
        }
    }

    private string From() => $"{_connection.RemoteEndPoint.Address}:{_connection.RemoteEndPoint.Port}";

    /// <summary>A cancel is an event of the session it cancels, placed among that session's bytes when it happened.</summary>
    private async Task RecordCancelAsync(CancelRoute route, JsonObject fields)
    {
        if (route.Recording is not { } recording)
        {
            return;
        }

        try
        {
            await recording.WriteEventAsync("cancel", fields);
        }
        catch (Exception e) when (e is RecordingUnavailableException or InvalidOperationException)
        {
            // The session ended (or its recording failed) while the cancel was on its way; its own record says how it ended.
            LogRecordingUnavailable(_logger, _connection.Id, e.Message);
        }
    }

    /// <summary>At the end of a session a failing recording has nothing left to stop; its own error is already logged.</summary>
    private async Task RecordEventAsyncQuietly(string type, JsonObject fields)
    {
        try
        {
            await RecordEventAsync(type, fields);
        }
        catch (PostgresProtocolException)
        {
        }
    }

    private static string Describe(RelayEnd end) => end switch
    {
        RelayEnd.SourceClosed => "closed the connection",
        RelayEnd.DestinationClosed => "peer stopped reading",
        RelayEnd.ObserverStopped => "ended the session",
        _ => "stopped",
    };

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or PostgresProtocolException or InvalidOperationException)
        {
            // The other direction already decided how the session ends.
        }
    }

    private static async Task TrySendAsync(PumpedDuplexPipe client, ErrorResponse error)
    {
        try
        {
            error.WriteTo(client.Output);
            await client.Output.FlushAsync();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The client is gone; there is nobody left to tell.
        }
    }

    private async Task TrySendRawErrorAsync(ErrorResponse error)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await ClientTransportNegotiator.SendErrorAsync(_connection.Socket, error, timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "session {Session}: {User} from {Client} authenticated for target {Target}")]
    private static partial void LogAuthenticated(ILogger logger, long session, string user, System.Net.IPEndPoint client, string target);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "session {Session}: refused {Client}: {SqlState} {Reason}")]
    private static partial void LogRefused(ILogger logger, long session, System.Net.IPEndPoint client, string sqlState, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "session {Session}: handshake with {Client} ended: {Reason}")]
    private static partial void LogHandshakeFailed(ILogger logger, long session, System.Net.IPEndPoint client, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "session {Session}: {User} on {Target} ended after {Messages} client messages: {Reason}")]
    private static partial void LogSessionEnded(ILogger logger, long session, string user, string target, long messages, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "session {Session}: cancel forwarded to target {Target}")]
    private static partial void LogCancelForwarded(ILogger logger, long session, string target);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "session {Session}: cancel request from {Client} matches no session")]
    private static partial void LogCancelUnknown(ILogger logger, long session, System.Net.IPEndPoint client);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error, Message = "session {Session}: startup failed unexpectedly")]
    private static partial void LogStartupCrashed(ILogger logger, Exception exception, long session);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "session {Session}: recording unavailable: {Reason}")]
    private static partial void LogRecordingUnavailable(ILogger logger, long session, string reason);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "session {Session} ({RecordingId}): approval {Request} for {User} under rule {Rule}: {Outcome} by {Approver}: {Reason}")]
    private static partial void LogApproval(ILogger logger, long session, string recordingId, string request, string user, string rule, string outcome, string approver, string reason);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "session {Session}: {User}: statement {Action} by {Rule}: {Reason}")]
    private static partial void LogPolicyDecision(ILogger logger, long session, string user, string action, string rule, string reason);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "session {Session}: cancel to target {Target} failed: {Reason}")]
    private static partial void LogCancelFailed(ILogger logger, long session, string target, string reason);
}
