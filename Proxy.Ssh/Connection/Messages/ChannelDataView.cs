namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_CHANNEL_DATA (RFC 4254 §5.2) read in place: <see cref="Data"/> points into the payload it was parsed from
/// (at offset <see cref="ChannelData.HeaderLength"/>), so nothing is copied or allocated.
/// </summary>
public readonly ref struct ChannelDataView(uint recipientChannel, ReadOnlySpan<byte> data)
{
    public uint RecipientChannel { get; } = recipientChannel;

    public ReadOnlySpan<byte> Data { get; } = data;

    /// <summary>A copy that outlives the payload.</summary>
    public ChannelData ToMessage() => new(RecipientChannel, Data.ToArray());
}
