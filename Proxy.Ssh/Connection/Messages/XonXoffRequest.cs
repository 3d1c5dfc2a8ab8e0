using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"xon-xoff" (RFC 4254 §6.8): whether the client may do flow control with ^S/^Q itself.</summary>
public readonly record struct XonXoffRequest(bool ClientCanDo) : IChannelRequestData<XonXoffRequest>
{
    public const string Type = "xon-xoff";

    public static string RequestType => Type;

    public static XonXoffRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var clientCanDo = reader.ReadBoolean();
        reader.ExpectEnd("the \"xon-xoff\" request data");
        return new XonXoffRequest(clientCanDo);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteBoolean(ClientCanDo);
    }
}
