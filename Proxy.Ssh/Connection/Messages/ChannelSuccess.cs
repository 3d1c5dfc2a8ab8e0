using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>SSH_MSG_CHANNEL_SUCCESS (RFC 4254 §5.4): the reply to a channel request sent with want-reply that succeeded.</summary>
public readonly record struct ChannelSuccess(uint RecipientChannel)
{
    public const string Name = "SSH_MSG_CHANNEL_SUCCESS";

    public static ChannelSuccess Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelSuccess, Name);
        var message = new ChannelSuccess(reader.ReadUInt32());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) => MessageCodec.Begin(output, SshMessageNumber.ChannelSuccess).WriteUInt32(RecipientChannel);
}
