using System.Buffers;

namespace HoopProxy.Postgres.Protocol;

/// <summary>
/// An Int16 count followed by that many <see cref="WireValue"/>s (Bind parameters, DataRow columns,
/// FunctionCall arguments). Parsing checks every length once; enumerating walks the slice again and
/// allocates nothing.
/// </summary>
public readonly record struct ValueList
{
    private ValueList(int count, ReadOnlySequence<byte> values)
    {
        Count = count;
        Values = values;
    }

    public static ValueList Empty => new(0, ReadOnlySequence<byte>.Empty);

    public int Count { get; }

    /// <summary>The values as on the wire, after the count.</summary>
    public ReadOnlySequence<byte> Values { get; }

    /// <summary>Bytes on the wire, count included.</summary>
    public long WireLength => 2 + Values.Length;

    /// <summary>Walks from the start: O(index). Use the enumerator to visit every value.</summary>
    public WireValue this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var enumerator = GetEnumerator();
            for (var i = 0; i <= index; i++)
            {
                enumerator.MoveNext();
            }

            return enumerator.Current;
        }
    }

    public Enumerator GetEnumerator() => new(Values, Count);

    /// <summary>On false the reader is left wherever parsing stopped: callers discard it (TryParse works on its own reader).</summary>
    internal static bool TryRead(ref SequenceReader<byte> reader, out ValueList list)
    {
        list = default;
        // Counts are unsigned on the wire: PostgreSQL reads them with pq_getmsgint(msg, 2).
        if (!reader.TryReadBigEndian(out short rawCount))
        {
            return false;
        }

        var count = (ushort)rawCount;
        var valuesStart = reader.Position;
        for (var i = 0; i < count; i++)
        {
            if (!WireValue.TryRead(ref reader, out _))
            {
                return false;
            }
        }

        list = new ValueList(count, reader.Sequence.Slice(valuesStart, reader.Position));
        return true;
    }

    internal void Write(ref MessageSpanWriter writer)
    {
        writer.WriteInt16((short)Count);
        writer.WriteBytes(Values);
    }

    internal static long WireLengthOf(ReadOnlySpan<byte[]?> values)
    {
        CheckCount(values.Length);
        var length = 2L;
        foreach (var value in values)
        {
            length += WireValue.WireLengthOf(value);
        }

        return length;
    }

    internal static void Write(ref MessageSpanWriter writer, ReadOnlySpan<byte[]?> values)
    {
        writer.WriteInt16((short)values.Length);
        foreach (var value in values)
        {
            WireValue.Write(ref writer, value);
        }
    }

    internal static void CheckCount(int count)
    {
        if (count > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a protocol message carries at most 65535 values");
        }
    }

    /// <summary>Yields each value as a slice; <see cref="WireValue.IsNull"/> marks a -1 length.</summary>
    public ref struct Enumerator
    {
        private SequenceReader<byte> _reader;
        private int _remaining;

        internal Enumerator(ReadOnlySequence<byte> values, int count)
        {
            _reader = new SequenceReader<byte>(values);
            _remaining = count;
            Current = default;
        }

        public WireValue Current { get; private set; }

        public bool MoveNext()
        {
            // The list was validated when parsed, so a value that no longer reads means the end.
            if (_remaining == 0 || !WireValue.TryRead(ref _reader, out var value))
            {
                return false;
            }

            _remaining--;
            Current = value;
            return true;
        }
    }
}
