using System.Buffers;

namespace HoopProxy.Postgres.Protocol;

/// <summary>The format codes PostgreSQL defines: 0 text, 1 binary (any other value is kept as sent).</summary>
public static class FormatCode
{
    public const short Text = 0;
    public const short Binary = 1;
}

/// <summary>
/// An Int16 count followed by that many Int16 format codes (Bind, FunctionCall, CopyIn/Out/BothResponse),
/// kept as the received slice.
/// </summary>
public readonly record struct FormatCodeList
{
    private FormatCodeList(int count, ReadOnlySequence<byte> codes)
    {
        Count = count;
        Codes = codes;
    }

    public static FormatCodeList Empty => new(0, ReadOnlySequence<byte>.Empty);

    public int Count { get; }

    /// <summary>The codes as on the wire, after the count.</summary>
    public ReadOnlySequence<byte> Codes { get; }

    public int WireLength => 2 + (2 * Count);

    public short this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var reader = new SequenceReader<byte>(Codes.Slice(2 * index, 2));
            reader.TryReadBigEndian(out short value);
            return value;
        }
    }

    public short[] ToArray()
    {
        var codes = new short[Count];
        var reader = new SequenceReader<byte>(Codes);
        for (var i = 0; i < codes.Length; i++)
        {
            reader.TryReadBigEndian(out codes[i]);
        }

        return codes;
    }

    /// <summary>On false the reader is left wherever parsing stopped: callers discard it.</summary>
    internal static bool TryRead(ref SequenceReader<byte> reader, out FormatCodeList list)
    {
        list = default;
        if (!reader.TryReadBigEndian(out short rawCount) || !PgBufferReader.TryReadBytes(ref reader, 2 * (ushort)rawCount, out var codes))
        {
            return false;
        }

        list = new FormatCodeList((ushort)rawCount, codes);
        return true;
    }

    internal void Write(ref MessageSpanWriter writer)
    {
        writer.WriteInt16((short)Count);
        writer.WriteBytes(Codes);
    }

    internal static int WireLengthOf(ReadOnlySpan<short> codes)
    {
        ValueList.CheckCount(codes.Length);
        return 2 + (2 * codes.Length);
    }

    internal static void Write(ref MessageSpanWriter writer, ReadOnlySpan<short> codes)
    {
        writer.WriteInt16((short)codes.Length);
        foreach (var code in codes)
        {
            writer.WriteInt16(code);
        }
    }
}
