using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>SSH_MSG_IGNORE (RFC 4253 §11.2): padding traffic; the receiver must ignore the data.</summary>
public sealed record Ignore(ReadOnlyMemory<byte> Data)
{
    public const string Name = "SSH_MSG_IGNORE";

    public static Ignore Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.Ignore, Name);
        var message = new Ignore(reader.ReadString().ToArray());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) =>
        MessageCodec.Begin(output, SshMessageNumber.Ignore).WriteString(Data.Span);

    public bool Equals(Ignore? other) => other is not null && MessageCodec.SameBytes(Data, other.Data);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        MessageCodec.AddBytes(ref hash, Data);
        return hash.ToHashCode();
    }
}
