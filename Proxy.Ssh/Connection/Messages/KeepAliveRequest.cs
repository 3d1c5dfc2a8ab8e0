using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"keepalive@openssh.com" (OpenSSH's liveness probe on a channel, sent with want-reply): no data; any reply proves the peer alive.</summary>
public readonly record struct KeepAliveRequest : IChannelRequestData<KeepAliveRequest>
{
    public const string Type = "keepalive@openssh.com";

    public static string RequestType => Type;

    public static KeepAliveRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        reader.ExpectEnd("the \"keepalive@openssh.com\" request data");
        return default;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
    }
}
