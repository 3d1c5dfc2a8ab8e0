using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Authentication.Messages;

/// <summary>SSH_MSG_USERAUTH_SUCCESS (RFC 4252 §5.1): authentication is complete; the requested service starts.</summary>
public readonly record struct UserAuthSuccess
{
    public const string Name = "SSH_MSG_USERAUTH_SUCCESS";

    public static UserAuthSuccess Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.UserAuthSuccess, Name);
        reader.ExpectEnd(Name);
        return default;
    }

    public void WriteTo(IBufferWriter<byte> output) => MessageCodec.Begin(output, SshMessageNumber.UserAuthSuccess);
}
