using System.Buffers;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// How one COPY format is cut into units (a header, a row, the binary trailer) and how a unit is rewritten. A format
/// object serves one COPY: <see cref="Scan"/> keeps its state between calls, so a unit split across CopyData
/// messages is found without looking at its first part again.
/// </summary>
internal abstract class CopyRowFormat : IDisposable
{
    public static CopyRowFormat For(CopyOutOptions options, CopyFieldMasking masking) => options.Format switch
    {
        CopyFormat.Text => new TextRowFormat(options, masking),
        CopyFormat.Csv => new CsvRowFormat(options, masking),
        CopyFormat.Binary => new BinaryRowFormat(masking),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Format, "unknown COPY format"),
    };

    /// <summary>
    /// Reads on through the current unit: the number of bytes of <paramref name="data"/> that complete it (the state is
    /// then ready for the next unit), or -1 when all of <paramref name="data"/> belongs to it and it goes on.
    /// Throws <see cref="CopyFormatException"/> for bytes the format does not allow there.
    /// </summary>
    public abstract int Scan(ReadOnlySpan<byte> data);

    /// <summary>Writes <paramref name="unit"/>, one whole unit just found by <see cref="Scan"/>, with its fields masked.</summary>
    public abstract void Rewrite(ReadOnlySpan<byte> unit, IBufferWriter<byte> output);

    /// <summary>Why the data cannot end here although no unit is open (binary: the trailer is missing), or null.</summary>
    public virtual string? ProblemAtEnd => null;

    public virtual void Dispose()
    {
    }
}
