using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>SSH_MSG_DEBUG (RFC 4253 §11.3): a diagnostic text, to be shown to the user when <see cref="AlwaysDisplay"/> is set.</summary>
public sealed record Debug(bool AlwaysDisplay, string Message, string Language = "")
{
    public const string Name = "SSH_MSG_DEBUG";

    public static Debug Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.Debug, Name);
        var message = new Debug(reader.ReadBoolean(), reader.ReadUtf8(), reader.ReadUtf8());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.Debug);
        writer.WriteBoolean(AlwaysDisplay);
        writer.WriteUtf8(Message);
        writer.WriteUtf8(Language);
    }
}
