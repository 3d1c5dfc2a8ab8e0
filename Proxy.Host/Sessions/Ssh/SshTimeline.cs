using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// Consecutive data records of one channel, direction and stream, summarised: how much passed, not what (the
/// bytes are a terminal's, <c>replay</c> and the asciicast export show them). <see cref="Channel"/> is null for
/// data records that are not SSH channel messages.
/// </summary>
public sealed record SshDataRun(TimeSpan At, uint? Channel, RecordDirection Direction, ChannelStream Stream, long Bytes, int Messages);

/// <summary>An entry of an SSH session's timeline: an event, or a run of data.</summary>
public sealed record SshTimelineEntry(TimeSpan At, string? EventType, JsonObject? Fields, SshDataRun? Data);

/// <summary>An SSH session's events in order, with the data between them summarised per channel and stream.</summary>
public static class SshTimeline
{
    public static IEnumerable<SshTimelineEntry> Build(IEnumerable<SessionRecord> records)
    {
        SshDataRun? run = null;
        foreach (var record in records)
        {
            switch (record.Type)
            {
                case RecordType.Data:
                    var decoded = SshChannelBytes.TryDecode(record.Data, out var data);
                    var direction = record.Direction ?? RecordDirection.ServerToClient;
                    uint? channel = decoded ? data.Channel : null;
                    long bytes = decoded ? data.Bytes.Length : record.Data.Length;
                    if (run is not null && run.Channel == channel && run.Direction == direction && run.Stream == data.Stream)
                    {
                        run = run with { Bytes = run.Bytes + bytes, Messages = run.Messages + 1 };
                        break;
                    }

                    if (run is not null)
                    {
                        yield return new SshTimelineEntry(run.At, null, null, run);
                    }

                    run = new SshDataRun(record.Elapsed, channel, direction, data.Stream, bytes, 1);
                    break;
                case RecordType.Event:
                    if (run is not null)
                    {
                        yield return new SshTimelineEntry(run.At, null, null, run);
                        run = null;
                    }

                    yield return new SshTimelineEntry(record.Elapsed, record.EventType, record.Fields, null);
                    break;
            }
        }

        if (run is not null)
        {
            yield return new SshTimelineEntry(run.At, null, null, run);
        }
    }
}
