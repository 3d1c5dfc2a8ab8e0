using System.Buffers;
using System.Text;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>The kinds of Authentication ('R') message, by the Int32 that follows the length.</summary>
public enum AuthenticationType
{
    Ok = 0,
    KerberosV5 = 2,
    CleartextPassword = 3,
    Md5Password = 5,
    Gss = 7,
    GssContinue = 8,
    Sspi = 9,
    Sasl = 10,
    SaslContinue = 11,
    SaslFinal = 12,
}

/// <summary>
/// Authentication ('R'): Ok, a password or SASL challenge, or SASL continuation data.
/// <see cref="Data"/> is the salt for MD5, the mechanism list for SASL, the server's data for SASLContinue/SASLFinal.
/// </summary>
public readonly record struct AuthenticationRequest(AuthenticationType Type, ReadOnlySequence<byte> Data)
{
    public const BackendMessageCode Code = BackendMessageCode.Authentication;

    public static bool TryParse(ReadOnlySequence<byte> body, out AuthenticationRequest message)
    {
        var reader = new SequenceReader<byte>(body);
        if (!PgBufferReader.TryReadInt32(ref reader, out var type))
        {
            message = default;
            return false;
        }

        var data = reader.UnreadSequence;
        message = new AuthenticationRequest((AuthenticationType)type, data);
        // The fixed layouts are checked so that, say, an MD5 request without its four-byte salt is refused
        // instead of hashed with whatever bytes came; types we do not know stay the caller's decision.
        var valid = (AuthenticationType)type switch
        {
            AuthenticationType.Ok or AuthenticationType.KerberosV5 or AuthenticationType.CleartextPassword
                or AuthenticationType.Gss or AuthenticationType.Sspi => data.IsEmpty,
            AuthenticationType.Md5Password => data.Length == 4,
            AuthenticationType.Sasl => IsMechanismList(data),
            _ => true,
        };
        if (!valid)
        {
            message = default;
        }

        return valid;
    }

    /// <summary>NUL-terminated names, then an empty one, then nothing.</summary>
    private static bool IsMechanismList(ReadOnlySequence<byte> data)
    {
        var reader = new SequenceReader<byte>(data);
        while (PgBufferReader.TryReadCString(ref reader, out ReadOnlySequence<byte> name))
        {
            if (name.IsEmpty)
            {
                return reader.End;
            }
        }

        return false;
    }

    /// <summary>Writes the message back as parsed, whatever its type.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.BodyLength(4 + Data.Length);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteInt32((int)Type);
        writer.WriteBytes(Data);
        output.Advance(writer.Position);
    }

    /// <summary>The SASL mechanism names of an AuthenticationSASL message.</summary>
    public IReadOnlyList<string> SaslMechanisms()
    {
        var names = new List<string>();
        var reader = new SequenceReader<byte>(Data);
        while (PgBufferReader.TryReadCString(ref reader, out string name) && name.Length > 0)
        {
            names.Add(name);
        }

        return names;
    }

    public static void WriteOk(IBufferWriter<byte> output) => WriteSimple(output, AuthenticationType.Ok, []);

    public static void WriteCleartextPassword(IBufferWriter<byte> output) => WriteSimple(output, AuthenticationType.CleartextPassword, []);

    public static void WriteMd5Password(IBufferWriter<byte> output, ReadOnlySpan<byte> salt) => WriteSimple(output, AuthenticationType.Md5Password, salt);

    public static void WriteSasl(IBufferWriter<byte> output, IReadOnlyList<string> mechanisms)
    {
        var length = 4 + 1 + mechanisms.Sum(MessageSpanWriter.CStringLength);
        var writer = new MessageSpanWriter(output.GetSpan(1 + 4 + length));
        writer.WriteHeader((byte)Code, length);
        writer.WriteInt32((int)AuthenticationType.Sasl);
        foreach (var mechanism in mechanisms)
        {
            writer.WriteCString(mechanism);
        }

        writer.WriteByte(0);
        output.Advance(writer.Position);
    }

    public static void WriteSaslContinue(IBufferWriter<byte> output, string data) =>
        WriteSimple(output, AuthenticationType.SaslContinue, Encoding.UTF8.GetBytes(data));

    public static void WriteSaslFinal(IBufferWriter<byte> output, string data) =>
        WriteSimple(output, AuthenticationType.SaslFinal, Encoding.UTF8.GetBytes(data));

    private static void WriteSimple(IBufferWriter<byte> output, AuthenticationType type, ReadOnlySpan<byte> data)
    {
        var writer = new MessageSpanWriter(output.GetSpan(1 + 4 + 4 + data.Length));
        writer.WriteHeader((byte)Code, 4 + data.Length);
        writer.WriteInt32((int)type);
        writer.WriteBytes(data);
        output.Advance(writer.Position);
    }
}
