using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"exit-status" (RFC 4254 §6.10): the command's exit status; sent by the server without want-reply.</summary>
public readonly record struct ExitStatusRequest(uint ExitStatus) : IChannelRequestData<ExitStatusRequest>
{
    public const string Type = "exit-status";

    public static string RequestType => Type;

    public static ExitStatusRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var exitStatus = reader.ReadUInt32();
        reader.ExpectEnd("the \"exit-status\" request data");
        return new ExitStatusRequest(exitStatus);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUInt32(ExitStatus);
    }
}
