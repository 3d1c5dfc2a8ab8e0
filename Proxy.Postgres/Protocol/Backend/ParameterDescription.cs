using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>ParameterDescription ('t'): the type OID of each parameter of a described statement.</summary>
public readonly record struct ParameterDescription(OidList ParameterTypes)
{
    public const BackendMessageCode Code = BackendMessageCode.ParameterDescription;

    public static bool TryParse(ReadOnlySequence<byte> body, out ParameterDescription message)
    {
        var reader = new SequenceReader<byte>(body);
        if (OidList.TryRead(ref reader, out var types) && reader.End)
        {
            message = new ParameterDescription(types);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = ParameterTypes.WireLength;
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        ParameterTypes.Write(ref writer);
        output.Advance(writer.Position);
    }

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<uint> parameterTypes)
    {
        var length = OidList.WireLengthOf(parameterTypes);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        OidList.Write(ref writer, parameterTypes);
        output.Advance(writer.Position);
    }
}
