using System.Text.Json.Nodes;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// Something an observer found in a channel's bytes: an event for the record (the relay adds the channel number), and,
/// when a policy rule says so, the reason the session must end before these bytes go any further.
/// </summary>
public sealed record ChannelObservation(string Event, JsonObject Fields)
{
    /// <summary>Set when the observed bytes must not reach the target and the session ends (a blocked typed line).</summary>
    public string? EndSession { get; init; }
}

/// <summary>
/// Watches the data of one relayed session channel to describe it in the record: the SFTP operations it carries, the
/// command lines typed into its shell. Observers read the bytes as relayed and never change them; they keep only a
/// bounded amount. The relay calls one observer from one direction at a time (it serialises the two pumps' calls).
/// </summary>
public interface IChannelObserver
{
    /// <summary>The payload of one CHANNEL_DATA message, from the client or from the target, before it is forwarded.</summary>
    void OnData(bool fromClient, ReadOnlySpan<byte> data, ICollection<ChannelObservation> observations);

    /// <summary>
    /// A side sent EOF on the channel, before it is forwarded: a shell reading a script runs its last line at the end of
    /// its input even without a newline, so that line must be judged now.
    /// </summary>
    void OnEof(bool fromClient, ICollection<ChannelObservation> observations)
    {
    }

    /// <summary>The channel closed or the session ended: what was unfinished (a file still open, a line not ended) is reported.</summary>
    void OnClose(ICollection<ChannelObservation> observations);
}
