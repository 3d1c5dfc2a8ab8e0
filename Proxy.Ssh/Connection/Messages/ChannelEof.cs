using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>SSH_MSG_CHANNEL_EOF (RFC 4254 §5.3): the sender will send no more data on this channel; the channel stays open for the other direction.</summary>
public readonly record struct ChannelEof(uint RecipientChannel)
{
    public const string Name = "SSH_MSG_CHANNEL_EOF";

    public static ChannelEof Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelEof, Name);
        var message = new ChannelEof(reader.ReadUInt32());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) => MessageCodec.Begin(output, SshMessageNumber.ChannelEof).WriteUInt32(RecipientChannel);
}
