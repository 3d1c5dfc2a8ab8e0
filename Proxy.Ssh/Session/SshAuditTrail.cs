using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// One SSH session's part of the audit trail (docs/audit-trail.md): from the events its record gets, the ones a
/// regulator asks about — each command run or refused with how it ended, each typed line, each forwarding allowed or
/// refused, each approval step, and the disconnect — written with the session's identity, origin and target. The
/// record keeps the detail; the audit line names the session that holds it.
/// </summary>
public sealed class SshAuditTrail(AuditLog log, AuditContext context)
{
    // Each channel's command (exec, shell, subsystem), so its exit status can say what ended.
    private readonly Dictionary<string, string> _commands = new(StringComparer.Ordinal);

    public bool Disconnected { get; private set; }

    public ValueTask OnRecordedAsync(string type, JsonObject fields, CancellationToken cancellationToken) => type switch
    {
        "channel-request" => OnRequestAsync(fields, cancellationToken),
        "typed-line" => WriteAsync(AuditEventType.Command, fields["blocked"] is null, Text(fields["command"]) ?? Text(fields["line"]),
            fields["blocked"] is null ? null : "blocked", fields, cancellationToken),
        "approval" => WriteAsync(AuditEventType.Approval, Text(fields["status"]) is "requested" or "approved", Text(fields["command"]),
            Text(fields["status"]) is "requested" or "approved" ? null : Text(fields["status"]), fields, cancellationToken),
        "channel-open" when fields["port"] is not null => WriteAsync(AuditEventType.PolicyDecision, true, Forwarding(fields), null, fields, cancellationToken),
        "channel-refused" => WriteAsync(AuditEventType.PolicyDecision, false, Forwarding(fields), "refused", fields, cancellationToken),
        "global-request" when fields["address"] is not null || fields["refused"] is not null =>
            WriteAsync(AuditEventType.PolicyDecision, fields["refused"] is null, $"{Text(fields["request"])} {Text(fields["address"])}:{Text(fields["port"])}",
                fields["refused"] is null ? null : "refused", fields, cancellationToken),
        "disconnect" => OnDisconnectAsync(Text(fields["reason"]) ?? "", cancellationToken),
        // The proxy ended the session because its credential was revoked or expired: a success of the revocation.
        "revocation" => log.WriteAsync(context.Event(AuditEventType.Revocation, AuditOutcome.Success, action: Text(fields["cause"]), details: fields),
            cancellationToken),
        _ => ValueTask.CompletedTask,
    };

    /// <summary>The session ended without a relay's disconnect event (it failed before or during its login).</summary>
    public ValueTask OnDisconnectAsync(string reason, CancellationToken cancellationToken = default)
    {
        if (Disconnected)
        {
            return ValueTask.CompletedTask;
        }

        Disconnected = true;
        return log.WriteAsync(context.Event(AuditEventType.Disconnect, AuditOutcome.Success, action: reason), cancellationToken);
    }

    private ValueTask OnRequestAsync(JsonObject fields, CancellationToken cancellationToken)
    {
        var channel = Text(fields["channel"]) ?? "";
        switch (Text(fields["request"]))
        {
            case "exec" or "subsystem" or "shell" when Text(fields["from"]) == "client":
                var command = Text(fields["command"]) ?? (fields["subsystem"] is { } subsystem ? $"subsystem {Text(subsystem)}" : "shell");
                _commands[channel] = command;
                var refused = fields["refused"] is not null;
                return WriteAsync(AuditEventType.Command, !refused, command, refused ? "blocked" : null, fields, cancellationToken);
            case "x11-req" or "auth-agent-req@openssh.com" when fields["refused"] is not null:
                return WriteAsync(AuditEventType.PolicyDecision, false, Text(fields["request"]), "refused", fields, cancellationToken);
            case "exit-status":
                var status = Text(fields["status"]);
                return WriteAsync(AuditEventType.Command, status == "0", _commands.GetValueOrDefault(channel), status == "0" ? null : $"exit {status}",
                    fields, cancellationToken);
            case "exit-signal":
                return WriteAsync(AuditEventType.Command, false, _commands.GetValueOrDefault(channel), $"signal {Text(fields["signal"])}", fields, cancellationToken);
            default:
                return ValueTask.CompletedTask;
        }
    }

    private ValueTask WriteAsync(AuditEventType type, bool success, string? action, string? errorCode, JsonObject fields, CancellationToken cancellationToken) =>
        log.WriteAsync(context.Event(type, success ? AuditOutcome.Success : AuditOutcome.Failure, action, errorCode,
            details: fields, objects: Objects(fields)), cancellationToken);

    /// <summary>What a forwarding channel reaches, as <c>host:port</c>, for the event's affected objects.</summary>
    private static IReadOnlyList<string>? Objects(JsonObject fields) =>
        fields["host"] is { } host && fields["port"] is { } port ? [$"{Text(host)}:{Text(port)}"] : null;

    private static string Forwarding(JsonObject fields) =>
        $"{Text(fields["type"])}{(fields["host"] is null ? "" : $" {Text(fields["host"])}:{Text(fields["port"])}")}";

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => node.ToJsonString(),
    };
}
