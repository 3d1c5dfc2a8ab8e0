using System.Buffers;

namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>
/// Masks the fields of one result's rows, column by column: what DataRow and COPY rewriting call for each value.
/// Counts what it masked (per detector and per column) for the statement's audit record.
/// </summary>
public interface IFieldMasker
{
    /// <summary>False when no column of this result can be masked: rows pass untouched without being decoded.</summary>
    bool MasksAnything { get; }

    /// <summary>
    /// Masks one non-NULL field. <paramref name="value"/> is the field as the server sent it: for text format the
    /// UTF-8 text form (for COPY, with the COPY escaping already removed), for binary format the type's binary
    /// encoding. On <see cref="FieldMaskResult.Replaced"/> the replacement (UTF-8 text, or a valid binary value of
    /// the column's type) has been written to <paramref name="replacement"/>; otherwise nothing was written.
    /// </summary>
    FieldMaskResult Mask(int column, ReadOnlySpan<byte> value, bool binary, IBufferWriter<byte> replacement);
}
