using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"env" (RFC 4254 §6.4): an environment variable for the shell or command to be started.</summary>
public sealed record EnvRequest(string VariableName, string VariableValue) : IChannelRequestData<EnvRequest>
{
    public const string Type = "env";

    public static string RequestType => Type;

    public static EnvRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var variableName = reader.ReadUtf8();
        var variableValue = reader.ReadUtf8();
        reader.ExpectEnd("the \"env\" request data");
        return new EnvRequest(variableName, variableValue);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = new SshWriter(output);
        writer.WriteUtf8(VariableName);
        writer.WriteUtf8(VariableValue);
    }
}
