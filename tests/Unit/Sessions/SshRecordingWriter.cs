using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary>
/// Writes SSH sessions the way the SSH proxy records them (docs/recording-format.md, "SSH sessions"), through the real
/// store: each data record one CHANNEL_DATA (94) or CHANNEL_EXTENDED_DATA (95) message encoded here by hand from
/// RFC 4254, so the reading side is checked against the contract rather than against the proxy's own codec.
/// </summary>
internal sealed class SshRecordingWriter(ISessionRecording recording) : IAsyncDisposable
{
    public const string Identity = "alice";
    public const string Target = "web";
    public const string Fingerprint = "SHA256:q5Dy2a8jVdTn0ZL4oQWq1zUQzVbP3HBa3C8cNtqVn0s";

    public static SessionMetadata Metadata(string sessionId) => new(
        sessionId, "ssh", Target, "ssh-main", Identity, ["ops"], "publickey", Fingerprint, "deploy",
        "192.0.2.20", 50022, "proxy-1", new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));

    /// <summary>A session that logged in with a key and reached its target, as every session with channels does.</summary>
    public static async Task<SshRecordingWriter> StartAsync(RecordingStore store, string sessionId)
    {
        var writer = new SshRecordingWriter(store.StartSession(Metadata(sessionId)));
        await writer.EventAsync("login", new JsonObject
        {
            ["user"] = Identity + "+" + Target, ["target"] = Target, ["method"] = "publickey", ["outcome"] = "success", ["key_fingerprint"] = Fingerprint,
        });
        await writer.EventAsync("upstream", new JsonObject
        {
            ["target"] = Target, ["host"] = "127.0.0.1", ["port"] = 2222, ["account"] = "deploy", ["host_key"] = "SHA256:hostkeyhostkey", ["outcome"] = "success",
        });
        return writer;
    }

    public ValueTask EventAsync(string type, JsonObject fields) => recording.WriteEventAsync(type, fields);

    public ValueTask OpenAsync(uint channel) =>
        EventAsync("channel-open", new JsonObject { ["channel"] = channel, ["type"] = "session", ["from"] = "client" });

    public ValueTask RequestAsync(uint channel, string request, JsonObject? details = null, string from = "client")
    {
        var fields = new JsonObject { ["channel"] = channel, ["from"] = from, ["request"] = request, ["want_reply"] = from == "client" };
        foreach (var (name, value) in details ?? [])
        {
            fields[name] = value?.DeepClone();
        }

        return EventAsync("channel-request", fields);
    }

    public ValueTask PtyAsync(uint channel, string term, int cols, int rows) =>
        RequestAsync(channel, "pty-req", new JsonObject { ["term"] = term, ["cols"] = cols, ["rows"] = rows, ["width_px"] = 0, ["height_px"] = 0 });

    public ValueTask ShellAsync(uint channel) => RequestAsync(channel, "shell");

    public ValueTask ExecAsync(uint channel, string command) => RequestAsync(channel, "exec", new JsonObject { ["command"] = command });

    public ValueTask WindowChangeAsync(uint channel, int cols, int rows) =>
        RequestAsync(channel, "window-change", new JsonObject { ["cols"] = cols, ["rows"] = rows, ["width_px"] = 0, ["height_px"] = 0 });

    public ValueTask ExitStatusAsync(uint channel, int status) =>
        RequestAsync(channel, "exit-status", new JsonObject { ["status"] = status }, from: "server");

    public async ValueTask CloseAsync(uint channel)
    {
        await EventAsync("channel-eof", new JsonObject { ["channel"] = channel, ["from"] = "server" });
        await EventAsync("channel-close", new JsonObject { ["channel"] = channel, ["from"] = "server" });
        await EventAsync("channel-close", new JsonObject { ["channel"] = channel, ["from"] = "client" });
    }

    /// <summary>What the client received on the channel's stdout (or its terminal).</summary>
    public ValueTask OutputAsync(uint channel, string text) => OutputAsync(channel, Encoding.UTF8.GetBytes(text));

    public ValueTask OutputAsync(uint channel, byte[] bytes) => DataAsync(RecordDirection.ServerToClient, ChannelData(channel, bytes));

    public ValueTask StderrAsync(uint channel, string text) =>
        DataAsync(RecordDirection.ServerToClient, ChannelExtendedData(channel, 1, Encoding.UTF8.GetBytes(text)));

    /// <summary>What the client sent: keystrokes.</summary>
    public ValueTask InputAsync(uint channel, string text) => DataAsync(RecordDirection.ClientToServer, ChannelData(channel, Encoding.UTF8.GetBytes(text)));

    public ValueTask DataAsync(RecordDirection direction, byte[] message) => recording.WriteDataAsync(direction, new ReadOnlySequence<byte>(message));

    public ValueTask CompleteAsync(string reason = "the client disconnected") => recording.CompleteAsync(reason);

    public ValueTask DisposeAsync() => recording.DisposeAsync();

    /// <summary>byte 94, uint32 recipient channel, string data (RFC 4254 §5.2).</summary>
    public static byte[] ChannelData(uint channel, byte[] data)
    {
        var message = new byte[1 + 4 + 4 + data.Length];
        message[0] = 94;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(1), channel);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(5), (uint)data.Length);
        data.CopyTo(message.AsSpan(9));
        return message;
    }

    /// <summary>byte 95, uint32 recipient channel, uint32 data_type_code, string data (RFC 4254 §5.2).</summary>
    public static byte[] ChannelExtendedData(uint channel, uint dataType, byte[] data)
    {
        var message = new byte[1 + 4 + 4 + 4 + data.Length];
        message[0] = 95;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(1), channel);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(5), dataType);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(9), (uint)data.Length);
        data.CopyTo(message.AsSpan(13));
        return message;
    }
}
