using System.Buffers;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// A growable byte buffer on <see cref="ArrayPool{T}.Shared"/>, written through <see cref="IBufferWriter{T}"/> and
/// cleared for reuse: the carried partial row, a decoded field and a masker's replacement each live in one of these
/// for a whole COPY, so rows cost no allocation.
/// </summary>
internal sealed class PooledByteBuffer : IBufferWriter<byte>, IDisposable
{
    private const int MinimumCapacity = 256;

    private byte[] _array = [];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, Length);

    public void Clear() => Length = 0;

    /// <summary>Clears, and gives a buffer that grew past <paramref name="keepCapacity"/> back to the pool, so one huge row does not pin its memory for the rest of the COPY.</summary>
    public void ClearAndShrink(int keepCapacity)
    {
        Length = 0;
        if (_array.Length > keepCapacity)
        {
            Release();
        }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Length += bytes.Length;
    }

    public void Write(byte value)
    {
        GetSpan(1)[0] = value;
        Length++;
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (Length + count > _array.Length)
        {
            throw new InvalidOperationException("advanced past the end of the buffer");
        }

        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsMemory(Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _array.AsSpan(Length);
    }

    public void Dispose()
    {
        Length = 0;
        Release();
    }

    private void Reserve(int sizeHint)
    {
        var needed = (long)Length + Math.Max(sizeHint, 1);
        if (needed <= _array.Length)
        {
            return;
        }

        if (needed > Array.MaxLength)
        {
            throw new InsufficientMemoryException("a COPY row or field does not fit in one buffer");
        }

        var capacity = (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(MinimumCapacity, (long)_array.Length * 2)));
        var larger = ArrayPool<byte>.Shared.Rent(capacity);
        WrittenSpan.CopyTo(larger);
        Release();
        _array = larger;
    }

    private void Release()
    {
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = [];
        }
    }
}
