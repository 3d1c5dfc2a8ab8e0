using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Identity.Revocation;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Identity.Sessions;

/// <summary>
/// Stops honouring a credential in sessions that are already open: when the revocation list changes, every live session
/// it now matches is asked to end (within the list's reload time, about a second); a session opened with a token is
/// asked to end when the token's time is up (<see cref="SessionCredential.EndsAt"/>). Each protocol session ends itself
/// in its own terms (FATAL ErrorResponse, SSH disconnect), records why, and writes the audit event; the guardian writes
/// one <c>revocation</c> audit event per entry added to the list.
/// </summary>
public sealed partial class SessionGuardian : IDisposable
{
    /// <summary>Timers cannot wait longer than about 49 days; a later end is reached in steps.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(30);

    private readonly RevocationList _revocations;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AuditLog? _audit;
    private readonly ConcurrentDictionary<Watched, byte> _watches = new();

    public SessionGuardian(RevocationList revocations, ILogger logger, AuditLog? audit = null, TimeProvider? time = null)
    {
        _revocations = revocations;
        _logger = logger;
        _audit = audit;
        _time = time ?? TimeProvider.System;
        _revocations.Changed += OnRevocationsChanged;
    }

    /// <summary>A guardian for a proxy without revocation file or tokens; sessions still register, nothing ever ends them.</summary>
    public static SessionGuardian None { get; } = new(RevocationList.None, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    /// <summary>The sessions being watched, for tests and the admin view.</summary>
    public int Count => _watches.Count;

    /// <summary>
    /// Watches one live session until the returned handle is disposed (when the session ends). If the credential is
    /// already revoked or past its end — a revocation that arrived while the login ran — <paramref name="termination"/>
    /// is asked at once.
    /// </summary>
    public IDisposable Watch(SessionCredential credential, SessionTermination termination)
    {
        var watch = new Watched(this, credential, termination);
        _watches[watch] = 0;
        if (_revocations.Current.Match(credential.User, credential.Subject, credential.TokenId, credential.KeyFingerprint) is { } match)
        {
            End(watch, Revoked(match));
            return watch;
        }

        if (credential.EndsAt is { } endsAt)
        {
            watch.Timer = _time.CreateTimer(_ => OnTimeUp(watch), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Schedule(watch, endsAt);
        }

        return watch;
    }

    private static SessionEnding Revoked(RevocationMatch match) => new(SessionEndCause.Revoked, match.Reason, match);

    private void Schedule(Watched watch, DateTimeOffset endsAt)
    {
        var wait = endsAt - _time.GetUtcNow();
        watch.Timer?.Change(wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < LongestWait ? wait : LongestWait, Timeout.InfiniteTimeSpan);
    }

    private void OnTimeUp(Watched watch)
    {
        var endsAt = watch.Credential.EndsAt!.Value;
        if (_time.GetUtcNow() < endsAt)
        {
            Schedule(watch, endsAt);
            return;
        }

        End(watch, new SessionEnding(SessionEndCause.Expired, $"the session's token expired at {endsAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}; sign in again"));
    }

    private void OnRevocationsChanged(object? sender, RevocationsChangedEventArgs e)
    {
        foreach (var added in e.Added)
        {
            LogRevoked(_logger, added.Kind, added.Value);
            WriteListAudit(added, e);
        }

        foreach (var watch in _watches.Keys)
        {
            var credential = watch.Credential;
            if (e.Current.Match(credential.User, credential.Subject, credential.TokenId, credential.KeyFingerprint) is { } match)
            {
                End(watch, Revoked(match));
            }
        }
    }

    private void End(Watched watch, SessionEnding ending)
    {
        if (watch.Termination.Request(ending))
        {
            LogEnding(_logger, watch.Credential.User, ending.Reason);
        }
    }

    /// <summary>The list's change itself, before the sessions it ends write theirs: who was revoked and when the proxy learned it.</summary>
    private void WriteListAudit(RevocationMatch added, RevocationsChangedEventArgs e)
    {
        if (_audit is null)
        {
            return;
        }

        var user = added.Kind switch
        {
            RevocationKind.User => new AuditUser(null, null, added.Value, [], null),
            RevocationKind.Subject => new AuditUser(null, added.Value, null, [], null),
            _ => AuditUser.Unknown,
        };
        var auditEvent = new AuditEvent(AuditEventType.Revocation, AuditOutcome.Success)
        {
            User = user,
            CredentialId = added.Kind is RevocationKind.TokenId or RevocationKind.KeyFingerprint ? added.Value : null,
            Action = "listed",
            Details = new JsonObject
            {
                ["kind"] = KindName(added.Kind),
                ["value"] = added.Value,
                ["file"] = _revocations.FilePath,
                ["entries"] = e.Current.Count,
            },
        };
        try
        {
            // The handler runs on the list's own thread, one change at a time: waiting here keeps the events in order.
            _audit.WriteAsync(auditEvent).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception failure)
        {
            // Whatever the log's trouble (unavailable, shutting down), the sessions must still be ended after this.
            LogAuditUnavailable(_logger, failure.Message);
        }
    }

    /// <summary>The entry's list name in the revocation file.</summary>
    public static string KindName(RevocationKind kind) => kind switch
    {
        RevocationKind.TokenId => "tokenIds",
        RevocationKind.KeyFingerprint => "keyFingerprints",
        RevocationKind.Subject => "subjects",
        _ => "users",
    };

    public void Dispose()
    {
        _revocations.Changed -= OnRevocationsChanged;
        foreach (var watch in _watches.Keys)
        {
            watch.Dispose();
        }
    }

    [LoggerMessage(EventId = 6100, Level = LogLevel.Warning, Message = "revocation list: {Kind} {Value} revoked")]
    private static partial void LogRevoked(ILogger logger, RevocationKind kind, string value);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "ending a live session of {User}: {Reason}")]
    private static partial void LogEnding(ILogger logger, string user, string reason);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "the audit log could not take a revocation: {Reason}")]
    private static partial void LogAuditUnavailable(ILogger logger, string reason);

    private sealed class Watched(SessionGuardian guardian, SessionCredential credential, SessionTermination termination) : IDisposable
    {
        public SessionCredential Credential { get; } = credential;
        public SessionTermination Termination { get; } = termination;
        public ITimer? Timer { get; set; }

        public void Dispose()
        {
            guardian._watches.TryRemove(this, out _);
            Timer?.Dispose();
        }
    }
}
