using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"exit-signal" (RFC 4254 §6.10): the command was killed by a signal (name without "SIG"), whether core was dumped, and a message.</summary>
public sealed record ExitSignalRequest(string SignalName, bool CoreDumped, string ErrorMessage, string Language) : IChannelRequestData<ExitSignalRequest>
{
    public const string Type = "exit-signal";

    public static string RequestType => Type;

    public static ExitSignalRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var signalName = reader.ReadUtf8();
        var coreDumped = reader.ReadBoolean();
        var errorMessage = reader.ReadUtf8();
        var language = reader.ReadUtf8();
        reader.ExpectEnd("the \"exit-signal\" request data");
        return new ExitSignalRequest(signalName, coreDumped, errorMessage, language);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUtf8(SignalName);
        writer.WriteBoolean(CoreDumped);
        writer.WriteUtf8(ErrorMessage);
        writer.WriteUtf8(Language);
    }
}
