using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>SSH_MSG_CHANNEL_FAILURE (RFC 4254 §5.4): the reply to a channel request sent with want-reply that failed or was not recognized.</summary>
public readonly record struct ChannelFailure(uint RecipientChannel)
{
    public const string Name = "SSH_MSG_CHANNEL_FAILURE";

    public static ChannelFailure Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelFailure, Name);
        var message = new ChannelFailure(reader.ReadUInt32());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) => MessageCodec.Begin(output, SshMessageNumber.ChannelFailure).WriteUInt32(RecipientChannel);
}
