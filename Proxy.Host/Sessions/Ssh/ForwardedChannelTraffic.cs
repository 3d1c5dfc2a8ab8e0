using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// Reads an SSH session's records in order and writes each forwarded channel (<c>direct-tcpip</c>: ssh -L, -D, -W, -J;
/// <c>forwarded-tcpip</c>: ssh -R) as a <see cref="SyntheticTcpConversation"/>: opened at its channel-open, its
/// CHANNEL_DATA as segments at the times they were recorded, a FIN for each side's channel-eof (or its channel-close,
/// when it sent no EOF), and a RST for a channel still open when the recording ends. A channel the target refused after
/// its channel-open, or the client refused (<see cref="ForwardedChannelScan"/>), never connected and is only named on the report. It holds one
/// conversation per open channel and never a record after it has been written, so a session of any size streams through.
/// </summary>
/// <remarks>
/// The end that sent the SYN is the originator: for direct-tcpip the client's side (what the client sent travels from
/// the originator to host:port), for forwarded-tcpip the target's side (a peer connected to the address the target
/// listened on; what the target's side sent is what that peer sent). The channel-open's <c>from</c> says which side
/// opened the channel; data, EOF and close from that side are the originator's.
/// </remarks>
/// <param name="refusedAfterOpen">The channels refused after their open, and by whom, from <see cref="ForwardedChannelScan"/>.</param>
/// <param name="report">Gets one line per forwarded channel: its tcp.stream and ends, or why it has none.</param>
public sealed class ForwardedChannelTraffic(PcapWriter pcap, IReadOnlyDictionary<uint, string> refusedAfterOpen, TextWriter report)
{
    public const string DirectTcpip = "direct-tcpip";
    public const string ForwardedTcpip = "forwarded-tcpip";

    private readonly Dictionary<uint, ForwardedChannel> _open = [];
    private readonly HashSet<uint> _seen = [];
    private readonly ForwardedEndpoints _endpoints = new();
    private DateTimeOffset _lastAt;

    /// <summary>How many forwarded channels became conversations (tcp.stream 0 … Conversations-1, in this order).</summary>
    public int Conversations { get; private set; }

    /// <summary>Channels of other types (session, x11, agent): they carry no TCP connection and are left out.</summary>
    public int OtherChannels { get; private set; }

    /// <summary>Bytes of forwarded channels that a TCP connection could not have carried: sent after that side's EOF, or as extended data.</summary>
    public long BytesLeftOut { get; private set; }

    public IReadOnlyList<(IPAddress Address, string Name)> SyntheticNames => _endpoints.Names.Assigned;

    public void Take(SessionRecord record)
    {
        if (record.Type != RecordType.Seal)
        {
            _lastAt = record.Timestamp;
        }

        switch (record.Type)
        {
            case RecordType.Data:
                TakeData(record);
                break;
            case RecordType.Event when record.Fields is { } fields && SshEventFields.Channel(fields) is { } channel:
                TakeEvent(record.EventType, channel, fields, record.Timestamp);
                break;
        }
    }

    /// <summary>Resets the channels still open when the recording ends, at the time of its last record.</summary>
    public void End()
    {
        foreach (var channel in _open.Values)
        {
            channel.Conversation.Reset(_lastAt);
        }

        _open.Clear();
    }

    private void TakeEvent(string? type, uint channel, JsonObject fields, DateTimeOffset at)
    {
        switch (type)
        {
            // Channel numbers are not reused within a session (docs/recording-format.md): the first open names a channel.
            case "channel-open" when _seen.Add(channel):
                var channelType = (string?)fields["type"];
                if (channelType is DirectTcpip or ForwardedTcpip && refusedAfterOpen.TryGetValue(channel, out var refusal))
                {
                    report.WriteLine($"channel {channel} ({channelType}) to {fields["host"]}:{fields["port"]}: refused by {refusal}, not in the capture");
                }
                else if (channelType is DirectTcpip or ForwardedTcpip)
                {
                    Open(channel, channelType, fields, at);
                }
                else
                {
                    OtherChannels++;
                }

                break;
            case "channel-eof" or "channel-close" when _open.TryGetValue(channel, out var forwarded) && SideOf(forwarded, (string?)fields["from"]) is { } side:
                forwarded.Conversation.Finish(side, at);
                if (forwarded.Conversation.IsOver)
                {
                    _open.Remove(channel);
                }

                break;
        }
    }

    private void Open(uint channel, string type, JsonObject fields, DateTimeOffset at)
    {
        var connection = _endpoints.Assign((string?)fields["host"], SshEventFields.Long(fields["port"]), (string?)fields["originator"]);
        var conversation = new SyntheticTcpConversation(pcap, connection.Initiator, connection.Responder, InitialSequence(channel, 0), InitialSequence(channel, 1));
        conversation.Open(at);
        // A direct-tcpip is opened by the client, a forwarded-tcpip by the target's side; "from" says it when present.
        var opener = (string?)fields["from"] ?? (type == DirectTcpip ? "client" : "server");
        _open[channel] = new ForwardedChannel(conversation, opener);
        report.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tcp.stream {Conversations} = channel {channel} ({type}): {connection.Initiator} → {connection.Responder}{(connection.Notes.Count > 0 ? $" ({string.Join("; ", connection.Notes)})" : "")}"));
        Conversations++;
    }

    private void TakeData(SessionRecord record)
    {
        if (!SshChannelBytes.TryDecode(record.Data, out var data) || !_open.TryGetValue(data.Channel, out var channel))
        {
            return;
        }

        var sender = record.Direction == RecordDirection.ClientToServer ? "client" : "server";
        var side = sender == channel.Opener ? TcpSide.Initiator : TcpSide.Responder;
        if (data.Stream != ChannelStream.Data || !channel.Conversation.Send(side, record.Timestamp, data.Bytes.Span))
        {
            BytesLeftOut += data.Bytes.Length;
        }
    }

    private static TcpSide? SideOf(ForwardedChannel channel, string? from) =>
        from is null ? null : from == channel.Opener ? TcpSide.Initiator : TcpSide.Responder;

    /// <summary>Fixed per channel and end, so two exports of a session are the same file; spread out like real ISNs.</summary>
    private static uint InitialSequence(uint channel, uint end) => unchecked((channel * 2 + end + 1) * 0x9E3779B9u);

    private sealed record ForwardedChannel(SyntheticTcpConversation Conversation, string Opener);
}
