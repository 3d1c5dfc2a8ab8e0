using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>"shell" (RFC 4254 §6.5): start the user's default shell; no data.</summary>
public readonly record struct ShellRequest : IChannelRequestData<ShellRequest>
{
    public const string Type = "shell";

    public static string RequestType => Type;

    public static ShellRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        reader.ExpectEnd("the \"shell\" request data");
        return default;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
    }
}
