using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>SSH_MSG_SERVICE_ACCEPT (RFC 4253 §10): the server grants the requested service.</summary>
public sealed record ServiceAccept(string ServiceName)
{
    public const string Name = "SSH_MSG_SERVICE_ACCEPT";

    public static ServiceAccept Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ServiceAccept, Name);
        var message = new ServiceAccept(reader.ReadUtf8());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) =>
        MessageCodec.Begin(output, SshMessageNumber.ServiceAccept).WriteUtf8(ServiceName);
}
