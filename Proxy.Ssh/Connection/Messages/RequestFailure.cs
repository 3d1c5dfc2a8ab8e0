using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>SSH_MSG_REQUEST_FAILURE (RFC 4254 §4): the reply to a global request sent with want-reply that failed or was not recognized.</summary>
public readonly record struct RequestFailure
{
    public const string Name = "SSH_MSG_REQUEST_FAILURE";

    public static RequestFailure Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.RequestFailure, Name);
        reader.ExpectEnd(Name);
        return default;
    }

    public void WriteTo(IBufferWriter<byte> output) => MessageCodec.Begin(output, SshMessageNumber.RequestFailure);
}
