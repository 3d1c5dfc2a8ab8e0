using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"break" (RFC 4335 §3): send a BREAK of this length in milliseconds to the remote terminal.</summary>
public readonly record struct BreakRequest(uint BreakLengthMilliseconds) : IChannelRequestData<BreakRequest>
{
    public const string Type = "break";

    public static string RequestType => Type;

    public static BreakRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var breakLengthMilliseconds = reader.ReadUInt32();
        reader.ExpectEnd("the \"break\" request data");
        return new BreakRequest(breakLengthMilliseconds);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUInt32(BreakLengthMilliseconds);
    }
}
