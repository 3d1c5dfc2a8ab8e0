using System.Buffers;

namespace HoopProxy.Postgres.Protocol;

/// <summary>
/// An Int16 count followed by that many Int32 type OIDs (Parse, ParameterDescription), kept as the received
/// slice. OIDs are unsigned in PostgreSQL, hence <see cref="uint"/>.
/// </summary>
public readonly record struct OidList
{
    private OidList(int count, ReadOnlySequence<byte> oids)
    {
        Count = count;
        Oids = oids;
    }

    public static OidList Empty => new(0, ReadOnlySequence<byte>.Empty);

    public int Count { get; }

    /// <summary>The OIDs as on the wire, after the count.</summary>
    public ReadOnlySequence<byte> Oids { get; }

    public int WireLength => 2 + (4 * Count);

    public uint this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var reader = new SequenceReader<byte>(Oids.Slice(4 * index, 4));
            reader.TryReadBigEndian(out int value);
            return (uint)value;
        }
    }

    public uint[] ToArray()
    {
        var oids = new uint[Count];
        var reader = new SequenceReader<byte>(Oids);
        for (var i = 0; i < oids.Length; i++)
        {
            reader.TryReadBigEndian(out int value);
            oids[i] = (uint)value;
        }

        return oids;
    }

    /// <summary>On false the reader is left wherever parsing stopped: callers discard it.</summary>
    internal static bool TryRead(ref SequenceReader<byte> reader, out OidList list)
    {
        list = default;
        if (!reader.TryReadBigEndian(out short rawCount) || !PgBufferReader.TryReadBytes(ref reader, 4 * (ushort)rawCount, out var oids))
        {
            return false;
        }

        list = new OidList((ushort)rawCount, oids);
        return true;
    }

    internal void Write(ref MessageSpanWriter writer)
    {
        writer.WriteInt16((short)Count);
        writer.WriteBytes(Oids);
    }

    internal static int WireLengthOf(ReadOnlySpan<uint> oids)
    {
        ValueList.CheckCount(oids.Length);
        return 2 + (4 * oids.Length);
    }

    internal static void Write(ref MessageSpanWriter writer, ReadOnlySpan<uint> oids)
    {
        writer.WriteInt16((short)oids.Length);
        foreach (var oid in oids)
        {
            writer.WriteInt32((int)oid);
        }
    }
}
