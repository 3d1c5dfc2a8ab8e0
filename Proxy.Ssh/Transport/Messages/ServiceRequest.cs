using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>SSH_MSG_SERVICE_REQUEST (RFC 4253 §10): the client asks for a service after key exchange ("ssh-userauth").</summary>
public sealed record ServiceRequest(string ServiceName)
{
    public const string Name = "SSH_MSG_SERVICE_REQUEST";

    /// <summary>The user authentication protocol (RFC 4252).</summary>
    public const string UserAuth = "ssh-userauth";

    /// <summary>The connection protocol (RFC 4254), requested inside SSH_MSG_USERAUTH_REQUEST.</summary>
    public const string Connection = "ssh-connection";

    public static ServiceRequest Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ServiceRequest, Name);
        var message = new ServiceRequest(reader.ReadUtf8());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) =>
        MessageCodec.Begin(output, SshMessageNumber.ServiceRequest).WriteUtf8(ServiceName);
}
