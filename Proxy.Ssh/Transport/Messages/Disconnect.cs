using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>SSH_MSG_DISCONNECT (RFC 4253 §11.1): the sender ends the connection with a reason code and a text for humans.</summary>
public sealed record Disconnect(SshDisconnectReason Reason, string Description, string Language = "")
{
    public const string Name = "SSH_MSG_DISCONNECT";

    public static Disconnect Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.Disconnect, Name);
        var message = new Disconnect((SshDisconnectReason)reader.ReadUInt32(), reader.ReadUtf8(), reader.ReadUtf8());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.Disconnect);
        writer.WriteUInt32((uint)Reason);
        writer.WriteUtf8(Description);
        writer.WriteUtf8(Language);
    }
}
