using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

public enum TerminalEventKind
{
    /// <summary>Bytes the client received: the channel's stdout and stderr, as they reached the screen.</summary>
    Output,

    /// <summary>Bytes the client sent: keystrokes or stdin.</summary>
    Input,

    /// <summary>The client's window-change request.</summary>
    Resize,
}

/// <summary>One thing that happened on a terminal, at its time since the session's start.</summary>
public readonly record struct TerminalEvent(TimeSpan At, TerminalEventKind Kind, ChannelStream Stream, ReadOnlyMemory<byte> Bytes, int Cols, int Rows)
{
    public static TerminalEvent Output(TimeSpan at, ChannelStream stream, ReadOnlyMemory<byte> bytes) => new(at, TerminalEventKind.Output, stream, bytes, 0, 0);

    public static TerminalEvent Input(TimeSpan at, ReadOnlyMemory<byte> bytes) => new(at, TerminalEventKind.Input, ChannelStream.Data, bytes, 0, 0);

    public static TerminalEvent Resize(TimeSpan at, int cols, int rows) => new(at, TerminalEventKind.Resize, ChannelStream.Data, default, cols, rows);
}

/// <summary>The terminal of one channel, in record order, read lazily so a long session is never held in memory.</summary>
public static class TerminalEvents
{
    public static IEnumerable<TerminalEvent> Of(IEnumerable<SessionRecord> records, uint channel, bool withInput)
    {
        foreach (var record in records)
        {
            switch (record.Type)
            {
                case RecordType.Data when SshChannelBytes.TryDecode(record.Data, out var data) && data.Channel == channel:
                    if (record.Direction == RecordDirection.ServerToClient && data.Stream != ChannelStream.OtherExtended)
                    {
                        yield return TerminalEvent.Output(record.Elapsed, data.Stream, data.Bytes);
                    }
                    else if (withInput && record.Direction == RecordDirection.ClientToServer && data.Stream == ChannelStream.Data)
                    {
                        yield return TerminalEvent.Input(record.Elapsed, data.Bytes);
                    }

                    break;
                case RecordType.Event when record is { EventType: "channel-request", Fields: { } fields }
                                           && SshEventFields.Channel(fields) == channel
                                           && (string?)fields["request"] == "window-change"
                                           && SshEventFields.Int(fields["cols"]) is { } cols && SshEventFields.Int(fields["rows"]) is { } rows:
                    yield return TerminalEvent.Resize(record.Elapsed, cols, rows);
                    break;
            }
        }
    }
}
