using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using HoopProxy.Core.Identity.Sessions;
using HoopProxy.Core.Networking;
using HoopProxy.Core.Recording;
using HoopProxy.Ssh.Authentication;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// One client connection to the SSH listener, from the first byte to the last: the proxy's key exchange with the client,
/// its authentication (as a proxy user), the proxy's own login to the target with the credentials only it holds, then
/// the connection relay. Each failure ends this connection with an SSH disconnect that says what happened in words
/// (never a credential); the process and every other session carry on.
/// </summary>
internal sealed partial class SshProxySession(IncomingConnection connection, SshSessionContext context, ILogger logger)
{
    /// <summary>How long a client the proxy disconnected on its own may take to read to the DISCONNECT and close.</summary>
    private static readonly TimeSpan ClientLinger = TimeSpan.FromSeconds(2);

    private readonly List<SshLoginAttempt> _attempts = [];
    private SshSessionRecord _record = new(null);
    private SshClientLogin? _login;

    public async Task RunAsync()
    {
        var pipe = new SocketStreamPipe(connection.Socket);
        var handshakeStream = new SshPacketStream(pipe);
        SshTransport? client = null;
        SshTransport? target = null;
        var endReason = "ended";
        try
        {
            await AuditConnectionAsync();
            using var login = CancellationTokenSource.CreateLinkedTokenSource(connection.Aborted);
            login.CancelAfter(context.Options.LoginTimeout);
            try
            {
                client = await SshTransport.AcceptAsync(handshakeStream, pipe, context.Preferences, context.HostKey, context.Rekey, login.Token);
                await context.Authenticator.AuthenticateAsync(client, RememberAttemptAsync, async accepted =>
                {
                    _login = accepted;
                    await StartRecordingAsync(accepted);
                    await StartAuditTrailAsync(accepted);
                    target = await ConnectTargetAsync(accepted, login.Token);
                }, login.Token);
            }
            catch (OperationCanceledException) when (login.IsCancellationRequested && !connection.Aborted.IsCancellationRequested)
            {
                throw new SshProtocolException(SshDisconnectReason.ByApplication,
                    $"login timed out after {context.Options.LoginTimeout.TotalSeconds:0} s");
            }

            LogAuthenticated(logger, connection.Id, _login!.User.Name, _login.Method, connection.RemoteEndPoint, _login.Target.Name);
            var judge = new Policy.LoginPolicy(context.Channels, _login);
            var approvals = new CommandApprovals(context.Approvals, _record.Recording?.SessionId ?? $"ssh-{connection.Id}", _login.Target.Name, _login.User.Name);
            var relay = new ConnectionRelay(client, target!, _record, judge, new ChannelObservers(judge, _record.IsRecording), approvals);

            // From here until the connection ends, a revocation of the login's credential or its token's expiry ends it.
            using var credential = new CredentialWatch(context.Identity.Guardian, _login.Credential, client, target!, connection.Aborted);
            RelayEnd? relayEnd = null;
            try
            {
                relayEnd = await relay.RunAsync(credential.RelayStop);
            }
            catch (OperationCanceledException) when (credential.Ending is not null)
            {
                // Told and stopped by the watch; recorded below.
            }
            catch (OperationCanceledException) when (connection.Aborted.IsCancellationRequested)
            {
                // The drain time after a stop is over: both peers hear why, in SSH's terms.
                relayEnd = new RelayEnd("proxy", "the proxy is shutting down");
                await client.DisconnectAsync(SshDisconnectReason.ByApplication, relayEnd.Reason);
                await target!.DisconnectAsync(SshDisconnectReason.ByApplication, relayEnd.Reason);
            }

            // The credential's end is the cause even when the relay saw its effect first (the client closing after
            // the DISCONNECT).
            var end = credential.Ending is { } ending ? await EndForCredentialAsync(client, target!, pipe, ending) : relayEnd!;
            endReason = end.Reason;
            await _record.EventAsync("disconnect", new JsonObject
            {
                ["reason"] = end.Reason, ["side"] = end.Side, ["client_messages"] = relay.ClientMessages, ["server_messages"] = relay.TargetMessages,
            });
        }
        catch (SshProtocolException e)
        {
            endReason = e.Message;
            LogRefused(logger, connection.Id, connection.RemoteEndPoint, e.Reason, e.Message);
            if (client is not null)
            {
                await client.DisconnectAsync(e.Reason, e.Message);
            }
            else
            {
                await TryDisconnectDuringHandshakeAsync(handshakeStream, e);
            }
        }
        catch (SshDisconnectedException e)
        {
            endReason = $"the client disconnected: {e.Description}";
        }
        catch (Core.Audit.AuditUnavailableException e)
        {
            // Fail closed, as for the recording: what cannot be audited does not happen.
            endReason = "the audit log is unavailable";
            LogAuditUnavailable(logger, connection.Id, e.Message);
            if (client is not null)
            {
                await client.DisconnectAsync(SshDisconnectReason.ByApplication, "the audit log is unavailable; the proxy refuses sessions it cannot audit");
            }
        }
        catch (RecordingUnavailableException e)
        {
            endReason = "session recording is unavailable";
            LogRecordingUnavailable(logger, connection.Id, e.Message);
            if (client is not null)
            {
                await client.DisconnectAsync(SshDisconnectReason.ByApplication, "session recording is unavailable; the proxy refuses sessions it cannot record");
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or OperationCanceledException or SocketException)
        {
            endReason = $"the connection ended: {e.Message}";
        }
        finally
        {
            await FinishRecordingAsync(endReason);
            await AuditEndAsync(endReason);
            if (target is not null)
            {
                await target.DisposeAsync();
            }

            if (client is not null)
            {
                await client.DisposeAsync();
            }
            else
            {
                handshakeStream.Dispose();
                await pipe.DisposeAsync();
            }

            LogEnded(logger, connection.Id, endReason);
        }
    }

    private async ValueTask RememberAttemptAsync(SshLoginAttempt attempt)
    {
        _attempts.Add(attempt);
        if (!attempt.Accepted)
        {
            LogAttemptRefused(logger, connection.Id, connection.RemoteEndPoint, attempt.LoginName, attempt.Method, attempt.Reason ?? "");
        }

        if (context.Audit is { } audit && !attempt.Accepted)
        {
            // Refused attempts name who was claimed, as sent: the proxy knows no more about them. The accepted one is
            // written once the session exists (StartAuditTrailAsync), with its identity and session id.
            var who = new Core.Audit.AuditUser(null, null, attempt.LoginName, [], null);
            await audit.WriteAsync(AuditContext(who, attempt.KeyFingerprint ?? attempt.TokenId).Event(Core.Audit.AuditEventType.Authentication,
                attempt.Accepted ? Core.Audit.AuditOutcome.Success : Core.Audit.AuditOutcome.Failure, action: attempt.Method,
                errorCode: attempt.Accepted ? null : attempt.ErrorCode ?? "refused", details: new JsonObject { ["reason"] = attempt.Reason }));
        }
    }

    /// <summary>What every audit event of this connection carries: who (as far as known), from where, to which target.</summary>
    private Core.Audit.AuditContext AuditContext(Core.Audit.AuditUser user, string? credentialId) => new(
        _record.Recording?.SessionId, user, credentialId,
        new Core.Audit.AuditOrigin(connection.RemoteEndPoint.Address.ToString(), connection.RemoteEndPoint.Port),
        new Core.Audit.AuditResource("ssh", _login?.Target.Name, null, []));

    private ValueTask AuditConnectionAsync() => context.Audit?.WriteAsync(AuditContext(Core.Audit.AuditUser.Unknown, null)
        .Event(Core.Audit.AuditEventType.Connection, Core.Audit.AuditOutcome.Success, action: context.ListenerName)) ?? ValueTask.CompletedTask;

    /// <summary>From the accepted login on, the record's events feed the audit trail with the identity attached.</summary>
    private async Task StartAuditTrailAsync(SshClientLogin accepted)
    {
        if (context.Audit is { } audit)
        {
            var user = AuditUserOf(accepted);
            var trail = AuditContext(user, accepted.CredentialId);
            _record.Audit = new SshAuditTrail(audit, trail);
            await audit.WriteAsync(trail.Event(Core.Audit.AuditEventType.Authentication, Core.Audit.AuditOutcome.Success, action: accepted.Method,
                details: new JsonObject { ["login"] = _attempts.LastOrDefault(a => a.Accepted)?.LoginName }));
        }
    }

    /// <summary>A token's issuer, subject, name and groups; a configured user as the proxy's own.</summary>
    private static Core.Audit.AuditUser AuditUserOf(SshClientLogin login) => login.Token is { } token
        ? new Core.Audit.AuditUser(token.Issuer, token.Subject, token.Name, token.Groups, login.Target.Username)
        : Core.Audit.AuditUser.Local(login.User.Name, login.User.Groups, login.Target.Username);

    /// <summary>
    /// The login's credential was revoked or its token's time is up: both peers have heard why (again here, which waits
    /// for the watch's DISCONNECTs to be out), then the record and the audit trail say what ended the session, before
    /// the disconnect event.
    /// </summary>
    private async Task<RelayEnd> EndForCredentialAsync(SshTransport client, SshTransport target, SocketStreamPipe clientSocket, SessionEnding ending)
    {
        await CredentialWatch.TellAsync(client, target, ending);
        LogCredentialEnded(logger, connection.Id, _login!.User.Name, ending.Reason);
        await _record.EventAsync("revocation", ending.RecordFields());

        // The client may be busy with data that was on its way before the DISCONNECT: let it read to the end.
        await clientSocket.LingerAsync(ClientLinger);
        return new RelayEnd("proxy", CredentialWatch.ClientMessage(ending));
    }

    /// <summary>The end of the connection in the audit trail, unless the relay's disconnect event already put it there.</summary>
    private async Task AuditEndAsync(string endReason)
    {
        if (context.Audit is not { } audit)
        {
            return;
        }

        try
        {
            var trail = _record.Audit ?? new SshAuditTrail(audit, AuditContext(Core.Audit.AuditUser.Unknown, null));
            await trail.OnDisconnectAsync(endReason);
        }
        catch (Core.Audit.AuditUnavailableException e)
        {
            LogAuditUnavailable(logger, connection.Id, e.Message);
        }
    }

    /// <summary>
    /// The proxy's own connection to the target: TCP, key exchange with the pinned host key, login — all within the
    /// target's <c>ConnectTimeout</c>. Whatever fails, the connection to the target is closed and the attempt recorded.
    /// </summary>
    private async Task<SshTransport> ConnectTargetAsync(SshClientLogin login, CancellationToken cancellationToken)
    {
        var target = login.Target;
        var upstream = new JsonObject { ["target"] = target.Name, ["host"] = target.Host, ["port"] = target.Port, ["account"] = target.Username };
        SshPublicKey? offered = null;
        SocketStreamPipe? pipe = null;
        SshTransport? transport = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(target.ConnectTimeout);
        try
        {
            pipe = new SocketStreamPipe(await ConnectSocketAsync(target, deadline.Token));
            transport = await SshTransport.ConnectAsync(pipe, context.TargetPreferences, key =>
            {
                offered = key;
                return key.Fingerprint == target.HostKeyFingerprint;
            }, context.Rekey, deadline.Token);
            upstream["host_key"] = transport.ServerHostKey.Fingerprint;
            await SshTargetLogin.LoginAsync(transport, target, context.TargetKeys.GetValueOrDefault(target.Name), deadline.Token);
            upstream["outcome"] = "success";
            await _record.EventAsync("upstream", upstream, cancellationToken);
            return transport;
        }
        catch (Exception e) when (e is SshProtocolException or SshDisconnectedException or SshTargetLoginException or SocketException or IOException
            or OperationCanceledException)
        {
            if (transport is not null)
            {
                await transport.DisposeAsync();
            }
            else if (pipe is not null)
            {
                await pipe.DisposeAsync();
            }

            var message = e switch
            {
                SshProtocolException { Reason: SshDisconnectReason.HostKeyNotVerifiable } =>
                    $"the host key of target \"{target.Name}\" ({offered?.Fingerprint}) is not the pinned {target.HostKeyFingerprint}; the proxy refuses to log in",
                SshTargetLoginException => $"target \"{target.Name}\" refused the proxy's login: {e.Message}",
                OperationCanceledException when !cancellationToken.IsCancellationRequested =>
                    $"target \"{target.Name}\" ({target.Host}:{target.Port}) did not complete an SSH login within {target.ConnectTimeout.TotalSeconds:0} s",
                OperationCanceledException => $"the login ended while connecting to target \"{target.Name}\"",
                _ => $"could not reach target \"{target.Name}\" ({target.Host}:{target.Port}): {e.Message}",
            };
            upstream["outcome"] = "failure";
            upstream["message"] = message;
            if (offered is not null)
            {
                upstream["host_key"] = offered.Fingerprint;
            }

            await _record.EventAsync("upstream", upstream, CancellationToken.None);
            LogUpstreamFailed(logger, connection.Id, target.Name, message);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new SshProtocolException(SshDisconnectReason.ByApplication, message, e);
        }
    }

    private static async Task<Socket> ConnectSocketAsync(SshTarget target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.ConnectTimeout);
        var addresses = IPAddress.TryParse(target.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(target.Host, timeout.Token);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, target.Port), timeout.Token);
                return socket;
            }
            catch (SocketException e)
            {
                last = e;
                socket.Dispose();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                throw new IOException($"no answer within {target.ConnectTimeout.TotalSeconds:0} s");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new IOException(last is null ? "the host name has no address" : $"{last.SocketErrorCode}: {last.Message}");
    }

    private async Task StartRecordingAsync(SshClientLogin? login)
    {
        if (context.Recordings is not { } store || _record.IsRecording)
        {
            return;
        }

        var metadata = new SessionMetadata(
            SessionId: $"ssh-{DateTimeOffset.UtcNow:yyyyMMddTHHmmss}-{connection.Id}-{Guid.NewGuid().ToString("N")[..8]}",
            Protocol: "ssh",
            Target: login?.Target.Name ?? "",
            Listener: context.ListenerName,
            Identity: login?.User.Name,
            Groups: login?.User.Groups ?? [],
            AuthenticationMethod: login?.Method,
            CredentialId: login?.CredentialId,
            UpstreamAccount: login?.Target.Username,
            ClientAddress: connection.RemoteEndPoint.Address.ToString(),
            ClientPort: connection.RemoteEndPoint.Port,
            ProxyHost: Environment.MachineName,
            StartedAt: DateTimeOffset.UtcNow)
        {
            IdentityIssuer = login?.Token?.Issuer,
            IdentitySubject = login?.Token?.Subject,
        };
        _record = new SshSessionRecord(store.StartSession(metadata));
        foreach (var attempt in _attempts)
        {
            var fields = new JsonObject
            {
                ["user"] = attempt.LoginName,
                ["method"] = attempt.Method,
                ["outcome"] = attempt.Accepted ? "success" : "failure",
                ["redacted"] = "passwords, tokens and signatures are not recorded",
            };
            if (login is not null && attempt.Accepted)
            {
                fields["target"] = login.Target.Name;
            }

            if (attempt.KeyFingerprint is not null)
            {
                fields["key_fingerprint"] = attempt.KeyFingerprint;
            }

            if (attempt.Reason is not null)
            {
                fields["reason"] = attempt.Reason;
            }

            if (attempt.ErrorCode is not null)
            {
                fields["error_code"] = attempt.ErrorCode;
            }

            if (attempt.TokenId is not null)
            {
                fields["token_id"] = attempt.TokenId;
            }

            await _record.EventAsync("login", fields);
        }
    }

    /// <summary>Refused logins are recorded too (who tried, how), in a session of their own without an identity.</summary>
    private async Task FinishRecordingAsync(string endReason)
    {
        try
        {
            if (!_record.IsRecording && _login is null && _attempts.Count > 0)
            {
                await StartRecordingAsync(null);
            }

            if (_record.Recording is { } recording)
            {
                await recording.CompleteAsync(endReason);
            }
        }
        catch (RecordingUnavailableException e)
        {
            LogRecordingUnavailable(logger, connection.Id, e.Message);
        }
    }

    /// <summary>
    /// A DISCONNECT from the handshake's own packet stream: in the clear before our NEWKEYS (RFC 4253 §11.1 allows it, e.g.
    /// after garbage instead of a version), under the new keys after it (§7.3), as the client then expects.
    /// </summary>
    private static async Task TryDisconnectDuringHandshakeAsync(SshPacketStream stream, SshProtocolException e)
    {
        try
        {
            stream.WritePayload(Transport.Messages.MessageBytes.Of(new Transport.Messages.Disconnect(e.Reason, e.Message).WriteTo));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await stream.FlushAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // The client is gone.
        }
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "ssh session {Session}: {User} ({Method}) from {Client} logged in to target {Target}")]
    private static partial void LogAuthenticated(ILogger logger, long session, string user, string method, IPEndPoint client, string target);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "ssh session {Session}: {Client} disconnected: {Reason} {Message}")]
    private static partial void LogRefused(ILogger logger, long session, IPEndPoint client, SshDisconnectReason reason, string message);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "ssh session {Session}: {Client} failed to log in as {LoginName} with {Method}: {Reason}")]
    private static partial void LogAttemptRefused(ILogger logger, long session, IPEndPoint client, string loginName, string method, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "ssh session {Session}: target {Target}: {Message}")]
    private static partial void LogUpstreamFailed(ILogger logger, long session, string target, string message);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "ssh session {Session}: recording unavailable: {Message}")]
    private static partial void LogRecordingUnavailable(ILogger logger, long session, string message);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Error, Message = "ssh session {Session}: audit log unavailable: {Message}")]
    private static partial void LogAuditUnavailable(ILogger logger, long session, string message);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "ssh session {Session}: ending the session of {User}: {Reason}")]
    private static partial void LogCredentialEnded(ILogger logger, long session, string user, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "ssh session {Session} ended: {Reason}")]
    private static partial void LogEnded(ILogger logger, long session, string reason);
}
