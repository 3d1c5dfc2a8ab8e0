using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>SSH_MSG_CHANNEL_CLOSE (RFC 4254 §5.3): the sender closes the channel; each side sends one, and the channel number is free once both have.</summary>
public readonly record struct ChannelClose(uint RecipientChannel)
{
    public const string Name = "SSH_MSG_CHANNEL_CLOSE";

    public static ChannelClose Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelClose, Name);
        var message = new ChannelClose(reader.ReadUInt32());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) => MessageCodec.Begin(output, SshMessageNumber.ChannelClose).WriteUInt32(RecipientChannel);
}
