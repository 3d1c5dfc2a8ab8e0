using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"eow@openssh.com" (OpenSSH PROTOCOL §2.1): end of write — the remote command's stdin is closed while its output still flows; no data.</summary>
public readonly record struct EowRequest : IChannelRequestData<EowRequest>
{
    public const string Type = "eow@openssh.com";

    public static string RequestType => Type;

    public static EowRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        reader.ExpectEnd("the \"eow@openssh.com\" request data");
        return default;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
    }
}
