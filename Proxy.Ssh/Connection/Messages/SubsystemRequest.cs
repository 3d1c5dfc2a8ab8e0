using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"subsystem" (RFC 4254 §6.5): start a named subsystem ("sftp").</summary>
public sealed record SubsystemRequest(string SubsystemName) : IChannelRequestData<SubsystemRequest>
{
    public const string Type = "subsystem";

    public static string RequestType => Type;

    public static SubsystemRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var subsystemName = reader.ReadUtf8();
        reader.ExpectEnd("the \"subsystem\" request data");
        return new SubsystemRequest(subsystemName);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUtf8(SubsystemName);
    }
}
