using HoopProxy.Postgres.Masking.Wire;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// One COPY's calls to the <see cref="IFieldMasker"/>: the replacement goes to a buffer reused for every field, and an
/// answer outside the contract (an unknown result) stops the COPY rather than letting the value through.
/// </summary>
internal sealed class CopyFieldMasking(IFieldMasker masker) : IDisposable
{
    private readonly PooledByteBuffer _replacement = new();

    /// <summary>What the last <see cref="Mask"/> that answered <see cref="FieldMaskResult.Replaced"/> wrote.</summary>
    public ReadOnlySpan<byte> Replacement => _replacement.WrittenSpan;

    public FieldMaskResult Mask(int column, ReadOnlySpan<byte> value, bool binary)
    {
        _replacement.Clear();
        var result = masker.Mask(column, value, binary, _replacement);
        return result is FieldMaskResult.Unchanged or FieldMaskResult.Replaced or FieldMaskResult.Null
            ? result
            : throw new InvalidOperationException($"the field masker answered {result} for column {column}");
    }

    public void Dispose() => _replacement.Dispose();
}
