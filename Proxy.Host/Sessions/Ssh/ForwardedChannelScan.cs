using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// What the events of an SSH session say about its forwarded channels before any packet is written: how many opened,
/// and which of them were then refused. The proxy records a channel-open when it passes the open on, before the other
/// side answers, so a destination the target could not reach (direct-tcpip), or one the client could not reach
/// (forwarded-tcpip), is a channel-open followed by a channel-refused of the same channel. Such a channel never became a connection and gets no conversation; knowing it
/// at its channel-open keeps the capture in time order without holding packets back.
/// </summary>
public sealed class ForwardedChannelScan
{
    private readonly HashSet<uint> _forwarded = [];
    private readonly Dictionary<uint, string> _refused = [];

    /// <summary>Forwarded channels opened and not refused afterwards: the conversations the capture will have.</summary>
    public int Connections => _forwarded.Count(id => !_refused.ContainsKey(id));

    /// <summary>Forwarded channels refused after their open, with who refused and why: "the target (connect failed: …)".</summary>
    public IReadOnlyDictionary<uint, string> RefusedAfterOpen => _refused;

    /// <summary>Reads the events only; data records pass by unread.</summary>
    public static ForwardedChannelScan Read(IEnumerable<SessionRecord> records)
    {
        var scan = new ForwardedChannelScan();
        foreach (var record in records)
        {
            if (record is not { Type: RecordType.Event, Fields: { } fields } || SshEventFields.Channel(fields) is not { } channel)
            {
                continue;
            }

            switch (record.EventType)
            {
                case "channel-open" when (string?)fields["type"] is ForwardedChannelTraffic.DirectTcpip or ForwardedChannelTraffic.ForwardedTcpip:
                    scan._forwarded.Add(channel);
                    break;
                case "channel-refused" when scan._forwarded.Contains(channel):
                    scan._refused.TryAdd(channel, $"the {(string?)fields["refused_by"] ?? "other side"} ({(string?)fields["reason"] ?? "no reason given"})");
                    break;
            }
        }

        return scan;
    }
}
