using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>SSH_MSG_UNIMPLEMENTED (RFC 4253 §11.4): the reply to a message number the receiver does not know, naming its packet sequence number.</summary>
public readonly record struct Unimplemented(uint SequenceNumber)
{
    public const string Name = "SSH_MSG_UNIMPLEMENTED";

    public static Unimplemented Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.Unimplemented, Name);
        var message = new Unimplemented(reader.ReadUInt32());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) =>
        MessageCodec.Begin(output, SshMessageNumber.Unimplemented).WriteUInt32(SequenceNumber);
}
