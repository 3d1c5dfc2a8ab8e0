using System.Buffers;

namespace HoopProxy.Postgres.Protocol.Backend;

/// <summary>FunctionCallResponse ('V'): the result of a FunctionCall, NULL as length -1.</summary>
public readonly record struct FunctionCallResponse(WireValue Result)
{
    public const BackendMessageCode Code = BackendMessageCode.FunctionCallResponse;

    public static bool TryParse(ReadOnlySequence<byte> body, out FunctionCallResponse message)
    {
        var reader = new SequenceReader<byte>(body);
        if (WireValue.TryRead(ref reader, out var result) && reader.End)
        {
            message = new FunctionCallResponse(result);
            return true;
        }

        message = default;
        return false;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var length = MessageSpanWriter.BodyLength(Result.WireLength);
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        Result.Write(ref writer);
        output.Advance(writer.Position);
    }

    /// <param name="result">Null sends SQL NULL.</param>
    public static void Write(IBufferWriter<byte> output, byte[]? result)
    {
        var length = MessageSpanWriter.BodyLength(WireValue.WireLengthOf(result));
        var writer = new MessageSpanWriter(output.GetSpan(MessageHeader.Size + length));
        writer.WriteHeader((byte)Code, length);
        WireValue.Write(ref writer, result);
        output.Advance(writer.Position);
    }
}
