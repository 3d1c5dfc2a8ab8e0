using System.Buffers;
using System.Text;

namespace HoopProxy.Postgres.Protocol.Frontend;

/// <summary>PasswordMessage ('p') as a cleartext or MD5 answer: a NUL-terminated string.</summary>
public readonly record struct PasswordMessage(ReadOnlySequence<byte> Password)
{
    public const FrontendMessageCode Code = FrontendMessageCode.Password;

    public static bool TryParse(ReadOnlySequence<byte> body, out PasswordMessage message)
    {
        var reader = new SequenceReader<byte>(body);
        if (PgBufferReader.TryReadCString(ref reader, out ReadOnlySequence<byte> password) && reader.End)
        {
            message = new PasswordMessage(password);
            return true;
        }

        message = default;
        return false;
    }

    public static void Write(IBufferWriter<byte> output, string password)
    {
        var length = MessageSpanWriter.CStringLength(password);
        var writer = new MessageSpanWriter(output.GetSpan(5 + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteCString(password);
        output.Advance(writer.Position);
    }

    public string PasswordText() => Encoding.UTF8.GetString(Password);
}
