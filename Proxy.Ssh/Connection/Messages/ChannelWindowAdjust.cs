using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>SSH_MSG_CHANNEL_WINDOW_ADJUST (RFC 4254 §5.2): the recipient may send this many more bytes of data on the channel.</summary>
public readonly record struct ChannelWindowAdjust(uint RecipientChannel, uint BytesToAdd)
{
    public const string Name = "SSH_MSG_CHANNEL_WINDOW_ADJUST";

    public static ChannelWindowAdjust Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelWindowAdjust, Name);
        var message = new ChannelWindowAdjust(reader.ReadUInt32(), reader.ReadUInt32());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.ChannelWindowAdjust);
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUInt32(BytesToAdd);
    }
}
