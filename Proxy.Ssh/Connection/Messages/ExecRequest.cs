using System.Buffers;
using System.Text;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// "exec" (RFC 4254 §6.5): run a command. The command is a byte string that need not be UTF-8 (a file name in another
/// encoding), so it is kept as bytes; <see cref="CommandText"/> reads it as UTF-8 when it is.
/// </summary>
public sealed record ExecRequest(ReadOnlyMemory<byte> Command) : IChannelRequestData<ExecRequest>
{
    public const string Type = "exec";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string RequestType => Type;

    /// <summary>An "exec" of this command text, encoded as UTF-8.</summary>
    public static ExecRequest FromText(string command) => new(Encoding.UTF8.GetBytes(command));

    /// <summary>The command as UTF-8 text, or null when its bytes are not valid UTF-8.</summary>
    public string? CommandText
    {
        get
        {
            try
            {
                return StrictUtf8.GetString(Command.Span);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }
    }

    public static ExecRequest Parse(ReadOnlySpan<byte> requestData)
    {
        var reader = new SshReader(requestData);
        var command = reader.ReadString().ToArray();
        reader.ExpectEnd("the \"exec\" request data");
        return new ExecRequest(command);
    }

    public void WriteTo(IBufferWriter<byte> output) => new SshWriter(output).WriteString(Command.Span);

    public bool Equals(ExecRequest? other) => other is not null && Command.Span.SequenceEqual(other.Command.Span);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Command.Span);
        return hash.ToHashCode();
    }
}
