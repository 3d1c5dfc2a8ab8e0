using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>SSH_MSG_CHANNEL_OPEN_FAILURE (RFC 4254 §5.1): the channel was refused, with a reason code and a text for humans.</summary>
public sealed record ChannelOpenFailure(uint RecipientChannel, ChannelOpenFailureReason Reason, string Description, string Language = "")
{
    public const string Name = "SSH_MSG_CHANNEL_OPEN_FAILURE";

    public static ChannelOpenFailure Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelOpenFailure, Name);
        var message = new ChannelOpenFailure(reader.ReadUInt32(), (ChannelOpenFailureReason)reader.ReadUInt32(), reader.ReadUtf8(), reader.ReadUtf8());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.ChannelOpenFailure);
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUInt32((uint)Reason);
        writer.WriteUtf8(Description);
        writer.WriteUtf8(Language);
    }
}
