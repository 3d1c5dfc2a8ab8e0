namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_CHANNEL_EXTENDED_DATA (RFC 4254 §5.2) read in place: <see cref="Data"/> points into the payload (at offset
/// <see cref="ChannelExtendedData.HeaderLength"/>).
/// </summary>
public readonly ref struct ChannelExtendedDataView(uint recipientChannel, ExtendedDataType dataType, ReadOnlySpan<byte> data)
{
    public uint RecipientChannel { get; } = recipientChannel;

    public ExtendedDataType DataType { get; } = dataType;

    public ReadOnlySpan<byte> Data { get; } = data;

    /// <summary>A copy that outlives the payload.</summary>
    public ChannelExtendedData ToMessage() => new(RecipientChannel, DataType, Data.ToArray());
}
