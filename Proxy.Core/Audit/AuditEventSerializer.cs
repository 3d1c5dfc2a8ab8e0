using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace HoopProxy.Core.Audit;

/// <summary>
/// Writes an event's members in their fixed order (docs/audit-trail.md, "Fields"). It runs on the caller's thread when
/// the event is handed to the log, so the writer only chains and hashes, and the event is fixed at that moment.
/// </summary>
internal static class AuditEventSerializer
{
    // Relaxed escaping as in the recordings: quotes, "+" and non-ASCII stay readable; control characters, and so
    // every line break, are still escaped, which keeps one event on one line.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The event's members as <c>"time":…,…,"details":…</c>, without braces, ready for <see cref="AuditLineFormat.Body"/>.</summary>
    public static byte[] Members(AuditEvent auditEvent, DateTimeOffset time, string proxyHost)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var w = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        w.Reset(buffer);
        try
        {
            Write(w, auditEvent, time, proxyHost);
            w.Flush();
            var members = buffer.WrittenSpan[1..^1].ToArray();
            if (members.Length > AuditLineFormat.MaxLineBytes / 2)
            {
                throw new ArgumentException($"the \"{auditEvent.Type.Name()}\" event is {members.Length} bytes; audit events are limited to {AuditLineFormat.MaxLineBytes / 2}", nameof(auditEvent));
            }

            return members;
        }
        finally
        {
            if (buffer.Capacity > 64 * 1024)
            {
                // A rare huge event must not pin its buffer on this thread for good.
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    private static void Write(Utf8JsonWriter w, AuditEvent e, DateTimeOffset time, string proxyHost)
    {
        w.WriteStartObject();
        w.WriteString(AuditFields.Time, AuditLineFormat.FormatTime(time));
        w.WriteString(AuditFields.Type, e.Type.Name());
        w.WriteString(AuditFields.Outcome, e.Outcome == AuditOutcome.Success ? "success" : "failure");
        w.WriteString(AuditFields.ErrorCode, e.ErrorCode);

        w.WriteStartObject(AuditFields.User);
        w.WriteString(AuditFields.Issuer, e.User.Issuer);
        w.WriteString(AuditFields.Subject, e.User.Subject);
        w.WriteString(AuditFields.Name, e.User.Name);
        WriteArray(w, AuditFields.Groups, e.User.Groups);
        w.WriteString(AuditFields.UpstreamAccount, e.User.UpstreamAccount);
        w.WriteEndObject();

        w.WriteString(AuditFields.CredentialId, e.CredentialId);
        w.WriteString(AuditFields.SessionId, e.SessionId);

        w.WriteStartObject(AuditFields.Origin);
        w.WriteString(AuditFields.ClientAddress, e.Origin.ClientAddress);
        if (e.Origin.ClientPort is { } port)
        {
            w.WriteNumber(AuditFields.ClientPort, port);
        }
        else
        {
            w.WriteNull(AuditFields.ClientPort);
        }

        w.WriteString(AuditFields.ProxyHost, e.Origin.ProxyHost ?? proxyHost);
        w.WriteEndObject();

        w.WriteStartObject(AuditFields.Resource);
        w.WriteString(AuditFields.Protocol, e.Resource.Protocol);
        w.WriteString(AuditFields.Target, e.Resource.Target);
        w.WriteString(AuditFields.Database, e.Resource.Database);
        WriteArray(w, AuditFields.Objects, e.Resource.Objects);
        w.WriteEndObject();

        w.WriteString(AuditFields.Action, Shorten(e.Action));
        if (e.Details is { } details)
        {
            w.WritePropertyName(AuditFields.Details);
            details.WriteTo(w);
        }
        else
        {
            w.WriteNull(AuditFields.Details);
        }

        w.WriteEndObject();
    }

    /// <summary>Cuts at <see cref="AuditLineFormat.MaxActionLength"/>, never between the halves of a surrogate pair.</summary>
    private static string? Shorten(string? action)
    {
        if (action is not { Length: > AuditLineFormat.MaxActionLength })
        {
            return action;
        }

        var length = char.IsHighSurrogate(action[AuditLineFormat.MaxActionLength - 1]) ? AuditLineFormat.MaxActionLength - 1 : AuditLineFormat.MaxActionLength;
        return action[..length];
    }

    private static void WriteArray(Utf8JsonWriter w, string name, IReadOnlyList<string>? values)
    {
        w.WriteStartArray(name);
        foreach (var value in values ?? [])
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }
}

/// <summary>The names of the fields on every event line; <see cref="Required"/> is what the verifier demands of each.</summary>
public static class AuditFields
{
    public const string Seq = "seq";
    public const string Prev = "prev";
    public const string Time = "time";
    public const string Type = "type";
    public const string Outcome = "outcome";
    public const string ErrorCode = "error_code";
    public const string User = "user";
    public const string Issuer = "issuer";
    public const string Subject = "subject";
    public const string Name = "name";
    public const string Groups = "groups";
    public const string UpstreamAccount = "upstream_account";
    public const string CredentialId = "credential_id";
    public const string SessionId = "session_id";
    public const string Origin = "origin";
    public const string ClientAddress = "client_address";
    public const string ClientPort = "client_port";
    public const string ProxyHost = "proxy_host";
    public const string Resource = "resource";
    public const string Protocol = "protocol";
    public const string Target = "target";
    public const string Database = "database";
    public const string Objects = "objects";
    public const string Action = "action";
    public const string Details = "details";
    public const string Hash = "hash";

    /// <summary>Every field an event line has, as paths (<c>user.issuer</c>); present on every line, null when not applicable.</summary>
    public static IReadOnlyList<string> Required { get; } =
    [
        Seq, Prev, Time, Type, Outcome, ErrorCode,
        $"{User}.{Issuer}", $"{User}.{Subject}", $"{User}.{Name}", $"{User}.{Groups}", $"{User}.{UpstreamAccount}",
        CredentialId, SessionId,
        $"{Origin}.{ClientAddress}", $"{Origin}.{ClientPort}", $"{Origin}.{ProxyHost}",
        $"{Resource}.{Protocol}", $"{Resource}.{Target}", $"{Resource}.{Database}", $"{Resource}.{Objects}",
        Action, Details, Hash,
    ];
}
