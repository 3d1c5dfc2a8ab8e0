using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"signal" (RFC 4254 §6.9): deliver a signal to the remote process; the name is without "SIG" ("INT", "TERM").</summary>
public sealed record SignalRequest(string SignalName) : IChannelRequestData<SignalRequest>
{
    public const string Type = "signal";

    public static string RequestType => Type;

    public static SignalRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var signalName = reader.ReadUtf8();
        reader.ExpectEnd("the \"signal\" request data");
        return new SignalRequest(signalName);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUtf8(SignalName);
    }
}
