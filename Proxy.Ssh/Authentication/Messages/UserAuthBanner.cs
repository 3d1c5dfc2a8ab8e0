using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Authentication.Messages;

/// <summary>SSH_MSG_USERAUTH_BANNER (RFC 4252 §5.4): a text the server wants shown before authentication completes.</summary>
public sealed record UserAuthBanner(string Message, string Language = "")
{
    public const string Name = "SSH_MSG_USERAUTH_BANNER";

    public static UserAuthBanner Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.UserAuthBanner, Name);
        var message = new UserAuthBanner(reader.ReadUtf8(), reader.ReadUtf8());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.UserAuthBanner);
        writer.WriteUtf8(Message);
        writer.WriteUtf8(Language);
    }
}
