using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>What the events of an SSH session say about one of its channels: what ran in it, on which terminal, how it ended.</summary>
public sealed class SshChannelInfo
{
    public required uint Id { get; init; }
    public required string Type { get; init; }
    public required TimeSpan OpenedAt { get; init; }

    /// <summary>The terminal type of the pty-req, or null when no pty was asked for.</summary>
    public string? Term { get; private set; }

    /// <summary>The pty's size as first asked for (a later window-change is a resize, not the start size).</summary>
    public int? Cols { get; private set; }

    public int? Rows { get; private set; }
    public bool HasPty { get; private set; }
    public bool HasShell { get; private set; }
    public string? ExecCommand { get; private set; }
    public string? Subsystem { get; private set; }
    public long? ExitStatus { get; private set; }
    public string? ExitSignal { get; private set; }
    public bool CoreDumped { get; private set; }
    public string? ExitMessage { get; private set; }

    /// <summary>A channel a person typed into or watched: it had a terminal or an interactive shell.</summary>
    public bool IsTerminal => HasPty || HasShell;

    /// <summary>What ran: the exec command line, "subsystem NAME", "shell", or null when nothing was started.</summary>
    public string? Command => ExecCommand ?? (Subsystem is not null ? "subsystem " + Subsystem : HasShell ? "shell" : null);

    /// <summary>"exit status 0", "killed by signal KILL (core dumped): message", or null when the server reported neither.</summary>
    public string? ExitDescription =>
        ExitStatus is { } status ? $"exit status {status}"
        : ExitSignal is { } signal ? $"killed by signal {signal}{(CoreDumped ? " (core dumped)" : "")}{(string.IsNullOrEmpty(ExitMessage) ? "" : ": " + ExitMessage)}"
        : null;

    /// <summary>Takes in a channel-request event of this channel.</summary>
    internal void Apply(JsonObject request)
    {
        switch ((string?)request["request"])
        {
            case "pty-req" when !HasPty:
                HasPty = true;
                Term = (string?)request["term"];
                Cols = SshEventFields.Int(request["cols"]);
                Rows = SshEventFields.Int(request["rows"]);
                break;
            case "shell":
                HasShell = true;
                break;
            case "exec":
                ExecCommand ??= (string?)request["command"];
                break;
            case "subsystem":
                Subsystem ??= (string?)request["subsystem"];
                break;
            case "exit-status":
                ExitStatus = SshEventFields.Long(request["status"]);
                break;
            case "exit-signal":
                ExitSignal = (string?)request["signal"];
                CoreDumped = request["core_dumped"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
                ExitMessage = (string?)request["message"];
                break;
        }
    }
}

/// <summary>The channels of an SSH session in the order they were opened, read from its events.</summary>
public static class SshChannels
{
    public static IReadOnlyList<SshChannelInfo> Read(IEnumerable<SessionRecord> records)
    {
        var channels = new List<SshChannelInfo>();
        var byId = new Dictionary<uint, SshChannelInfo>();
        foreach (var record in records)
        {
            if (record is not { Type: RecordType.Event, Fields: { } fields } || SshEventFields.Channel(fields) is not { } id)
            {
                continue;
            }

            switch (record.EventType)
            {
                case "channel-open":
                    // Channel numbers are not reused within a session (docs/recording-format.md), so the first open names it.
                    if (!byId.ContainsKey(id))
                    {
                        var channel = new SshChannelInfo { Id = id, Type = (string?)fields["type"] ?? "?", OpenedAt = record.Elapsed };
                        byId[id] = channel;
                        channels.Add(channel);
                    }

                    break;
                case "channel-request" when byId.TryGetValue(id, out var channel) && fields["refused"] is null:
                    channel.Apply(fields);
                    break;
            }
        }

        return channels;
    }

    /// <summary>
    /// The channel <c>replay</c> and the asciicast export play when none is named: the first with a terminal (a pty or a
    /// shell), else the first that ran a command; null when the session has neither.
    /// </summary>
    public static SshChannelInfo? ChooseTerminal(IReadOnlyList<SshChannelInfo> channels) =>
        channels.FirstOrDefault(c => c.IsTerminal) ?? channels.FirstOrDefault(c => c.ExecCommand is not null);
}

/// <summary>Reads the numbers of SSH events leniently: a field of the wrong kind is treated as absent, never as an error.</summary>
internal static class SshEventFields
{
    public static uint? Channel(JsonObject fields) => fields["channel"] is JsonValue value && value.TryGetValue<uint>(out var id) ? id : null;

    public static int? Int(JsonNode? node) => node is JsonValue value && value.TryGetValue<int>(out var number) ? number : null;

    public static long? Long(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;
}
