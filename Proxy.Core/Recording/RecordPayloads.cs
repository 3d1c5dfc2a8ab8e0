using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HoopProxy.Core.Recording;

/// <summary>The JSON payloads of start, event, end and seal records (data records carry raw bytes).</summary>
internal static class RecordPayloads
{
    // Relaxed escaping: quotes, "+" and non-ASCII stay readable in the file and in "sessions show"; still valid JSON.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string FormatTime(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static byte[] Start(SessionMetadata metadata, DateTimeOffset recordingStartedAt) => Write(w =>
    {
        w.WriteNumber("format", RecordingFormat.FormatVersion);
        w.WriteString("sessionId", metadata.SessionId);
        w.WriteString("protocol", metadata.Protocol);
        w.WriteString("target", metadata.Target);
        w.WriteString("listener", metadata.Listener);
        w.WriteString("identity", metadata.Identity);
        w.WriteStartArray("groups");
        foreach (var group in metadata.Groups)
        {
            w.WriteStringValue(group);
        }

        w.WriteEndArray();
        if (metadata.IdentityIssuer is not null)
        {
            // Only token logins have them, so recordings of configured users keep the first format's fields exactly.
            w.WriteString("identityIssuer", metadata.IdentityIssuer);
            w.WriteString("identitySubject", metadata.IdentitySubject);
        }

        w.WriteString("authenticationMethod", metadata.AuthenticationMethod);
        w.WriteString("credentialId", metadata.CredentialId);
        w.WriteString("upstreamAccount", metadata.UpstreamAccount);
        w.WriteString("clientAddress", metadata.ClientAddress);
        w.WriteNumber("clientPort", metadata.ClientPort);
        w.WriteString("proxyHost", metadata.ProxyHost);
        w.WriteString("startedAt", FormatTime(metadata.StartedAt));
        w.WriteString("recordingStartedAt", FormatTime(recordingStartedAt));
    });

    public static SessionMetadata ReadStart(ReadOnlySpan<byte> payload, out DateTimeOffset recordingStartedAt)
    {
        var o = Parse(payload);
        recordingStartedAt = Time(o, "recordingStartedAt");
        return new SessionMetadata(
            Str(o, "sessionId"), Str(o, "protocol"), Str(o, "target"), Str(o, "listener"), OptStr(o, "identity"),
            (o["groups"] as JsonArray ?? throw Missing("groups")).Select(g => g?.GetValue<string>() ?? "").ToArray(),
            OptStr(o, "authenticationMethod"), OptStr(o, "credentialId"), OptStr(o, "upstreamAccount"),
            Str(o, "clientAddress"), (o["clientPort"] ?? throw Missing("clientPort")).GetValue<int>(), Str(o, "proxyHost"),
            Time(o, "startedAt"))
        {
            IdentityIssuer = OptStr(o, "identityIssuer"),
            IdentitySubject = OptStr(o, "identitySubject"),
        };
    }

    /// <summary>Serializes an event into a rented buffer; the caller returns it to the pool after writing.</summary>
    public static byte[] RentEvent(IRecordedEvent recordedEvent, out int length)
    {
        // One scratch buffer and writer per thread: events are written per statement, and all that is kept is the rented copy.
        var buffer = t_eventBuffer ??= new ArrayBufferWriter<byte>(512);
        var w = t_eventWriter ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        w.Reset(buffer);
        w.WriteStartObject();
        w.WriteString("type", recordedEvent.Type);
        w.WriteStartObject("fields");
        recordedEvent.WriteFields(w);
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();

        length = buffer.WrittenCount;
        if (length > RecordingFormat.MaxPayloadBytes)
        {
            throw new ArgumentException($"the \"{recordedEvent.Type}\" event is {length} bytes; events are limited to {RecordingFormat.MaxPayloadBytes}", nameof(recordedEvent));
        }

        var rented = RecordBuffers.Pool.Rent(length);
        buffer.WrittenSpan.CopyTo(rented);
        if (buffer.Capacity > 64 * 1024)
        {
            // A rare huge event must not pin its buffer on this thread for good.
            t_eventBuffer = null;
            t_eventWriter = null;
        }

        return rented;
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_eventBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_eventWriter;

    public static (string Type, JsonObject Fields) ReadEvent(ReadOnlySpan<byte> payload)
    {
        var o = Parse(payload);
        return (Str(o, "type"), o["fields"] as JsonObject ?? throw Missing("fields"));
    }

    public static byte[] End(string reason, DateTimeOffset endedAt) => Write(w =>
    {
        w.WriteString("reason", reason);
        w.WriteString("endedAt", FormatTime(endedAt));
    });

    public static byte[] SealJson(SealInfo seal) => Write(w =>
    {
        w.WriteString("sessionId", seal.SessionId);
        w.WriteNumber("recordCount", seal.RecordCount);
        w.WriteString("finalHash", seal.FinalHash);
        w.WriteString("firstTimestamp", FormatTime(seal.FirstTimestamp));
        w.WriteString("lastTimestamp", FormatTime(seal.LastTimestamp));
        w.WriteString("endReason", seal.EndReason);
        w.WriteNumber("clientBytes", seal.ClientBytes);
        w.WriteNumber("serverBytes", seal.ServerBytes);
        w.WriteString("keyId", RecordingSigningKey.FingerprintOf(seal.PublicKey));
        w.WriteBase64String("publicKey", seal.PublicKey);
        if (seal.Recovery is { } recovery)
        {
            w.WriteStartObject("interrupted");
            w.WriteString("recoveredAt", FormatTime(recovery.RecoveredAt));
            w.WriteNumber("truncatedBytes", recovery.TruncatedBytes);
            w.WriteNumber("truncatedAt", recovery.TruncatedAt);
            w.WriteEndObject();
        }
    });

    public static SealInfo ReadSeal(ReadOnlySpan<byte> json)
    {
        var o = Parse(json);
        RecoveryInfo? recovery = null;
        if (o["interrupted"] is JsonObject r)
        {
            recovery = new RecoveryInfo(Time(r, "recoveredAt"), Num(r, "truncatedBytes"), Num(r, "truncatedAt"));
        }

        return new SealInfo(Str(o, "sessionId"), Num(o, "recordCount"), Str(o, "finalHash"), Time(o, "firstTimestamp"),
            Time(o, "lastTimestamp"), Str(o, "endReason"), Num(o, "clientBytes"), Num(o, "serverBytes"),
            Convert.FromBase64String(Str(o, "publicKey")), recovery);
    }

    public static (string Reason, DateTimeOffset EndedAt) ReadEnd(ReadOnlySpan<byte> payload)
    {
        var o = Parse(payload);
        return (Str(o, "reason"), Time(o, "endedAt"));
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Any JSON or shape problem surfaces as InvalidDataException, which readers report with the record's offset.</summary>
    public static JsonObject Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            return JsonNode.Parse(payload) as JsonObject ?? throw new InvalidDataException("the payload is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("the payload is not valid JSON: " + e.Message, e);
        }
    }

    private static InvalidDataException Missing(string name) => new($"the payload has no \"{name}\"");

    private static string Str(JsonObject o, string name) => OptStr(o, name) ?? throw Missing(name);

    private static string? OptStr(JsonObject o, string name) => Guard(() => o[name]?.GetValue<string>());

    private static long Num(JsonObject o, string name) => Guard(() => (o[name] ?? throw Missing(name)).GetValue<long>());

    private static DateTimeOffset Time(JsonObject o, string name) =>
        DateTimeOffset.TryParse(Str(o, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new InvalidDataException($"\"{name}\" is not a timestamp");

    private static T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    public static string Hex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

/// <summary>What a seal record states about its session; signed together with the chain's final hash.</summary>
public sealed record SealInfo(
    string SessionId,
    long RecordCount,
    string FinalHash,
    DateTimeOffset FirstTimestamp,
    DateTimeOffset LastTimestamp,
    string EndReason,
    long ClientBytes,
    long ServerBytes,
    byte[] PublicKey,
    RecoveryInfo? Recovery);

/// <summary>Present in the seal of a session that was sealed at startup because the process ended without sealing it.</summary>
/// <param name="TruncatedBytes">Bytes of a torn last record removed before sealing (0 when the file ended at a record boundary).</param>
/// <param name="TruncatedAt">File offset where the removed bytes started.</param>
public sealed record RecoveryInfo(DateTimeOffset RecoveredAt, long TruncatedBytes, long TruncatedAt);
