using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_CHANNEL_OPEN_CONFIRMATION (RFC 4254 §5.1): the channel is open; the recipient is the opener's number, the
/// sender the confirmer's, with the confirmer's window and maximum packet size and type-specific data kept as sent.
/// </summary>
public sealed record ChannelOpenConfirmation(
    uint RecipientChannel, uint SenderChannel, uint InitialWindowSize, uint MaximumPacketSize, ReadOnlyMemory<byte> TypeData = default)
{
    public const string Name = "SSH_MSG_CHANNEL_OPEN_CONFIRMATION";

    public static ChannelOpenConfirmation Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelOpenConfirmation, Name);
        return new ChannelOpenConfirmation(
            reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadRemaining().ToArray());
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.ChannelOpenConfirmation);
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUInt32(SenderChannel);
        writer.WriteUInt32(InitialWindowSize);
        writer.WriteUInt32(MaximumPacketSize);
        writer.WriteRaw(TypeData.Span);
    }

    public bool Equals(ChannelOpenConfirmation? other) =>
        other is not null
        && RecipientChannel == other.RecipientChannel
        && SenderChannel == other.SenderChannel
        && InitialWindowSize == other.InitialWindowSize
        && MaximumPacketSize == other.MaximumPacketSize
        && MessageCodec.SameBytes(TypeData, other.TypeData);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(RecipientChannel);
        hash.Add(SenderChannel);
        hash.Add(InitialWindowSize);
        hash.Add(MaximumPacketSize);
        MessageCodec.AddBytes(ref hash, TypeData);
        return hash.ToHashCode();
    }
}
