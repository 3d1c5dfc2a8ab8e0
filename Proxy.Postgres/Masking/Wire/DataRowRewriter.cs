using System.Buffers;
using System.Buffers.Binary;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>
/// Rewrites one DataRow through a <see cref="RowsPlan"/>: only the columns the plan masks are looked at, and a row
/// in which nothing changed is left alone (no replacement written). Buffers are reused from row to row, so a
/// result streams with a bounded, constant amount of memory.
/// </summary>
public sealed class DataRowRewriter
{
    private readonly ArrayBufferWriter<byte> _replacements = new(1024);
    private readonly List<(FieldMaskResult Result, int Offset, int Length)> _fields = new(16);
    private byte[] _contiguous = new byte[1024];

    private DataRow _row;

    /// <summary>False when the row needs no change; otherwise <see cref="WriteMasked"/> writes the masked row.</summary>
    public bool TryMask(ReadOnlySequence<byte> body, RowsPlan rows)
    {
        if (!DataRow.TryParse(body, out var row))
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "the server sent a malformed DataRow");
        }

        _replacements.ResetWrittenCount();
        _fields.Clear();
        var changed = false;
        var column = 0;
        foreach (var value in row.Columns)
        {
            var result = FieldMaskResult.Unchanged;
            var offset = _replacements.WrittenCount;
            if (!value.IsNull && rows.Plan.IsMasked(column))
            {
                var binary = column < rows.Binary.Length && rows.Binary[column];
                result = rows.Plan.Mask(column, Contiguous(value.Data), binary, _replacements);
            }

            _fields.Add((result, offset, _replacements.WrittenCount - offset));
            changed |= result != FieldMaskResult.Unchanged;
            column++;
        }

        _row = row;
        return changed;
    }

    /// <summary>The whole DataRow message of the last row <see cref="TryMask"/> changed, with the masked values in place.</summary>
    public void WriteMasked(IBufferWriter<byte> output)
    {
        var row = _row;
        long bodyLength = 2;
        var index = 0;
        foreach (var value in row.Columns)
        {
            var (result, _, length) = _fields[index++];
            bodyLength += 4 + result switch
            {
                FieldMaskResult.Replaced => length,
                FieldMaskResult.Null => 0,
                _ => value.IsNull ? 0 : value.Data.Length,
            };
        }

        var total = checked((int)(MessageHeader.Size + bodyLength));
        var span = output.GetSpan(total);
        span[0] = (byte)BackendMessageCode.DataRow;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], total - 1);
        BinaryPrimitives.WriteInt16BigEndian(span[5..], (short)row.Columns.Count);
        var position = MessageHeader.Size + 2;
        index = 0;
        foreach (var value in row.Columns)
        {
            var (result, offset, length) = _fields[index++];
            switch (result)
            {
                case FieldMaskResult.Replaced:
                    BinaryPrimitives.WriteInt32BigEndian(span[position..], length);
                    _replacements.WrittenSpan.Slice(offset, length).CopyTo(span[(position + 4)..]);
                    position += 4 + length;
                    break;
                case FieldMaskResult.Null:
                    BinaryPrimitives.WriteInt32BigEndian(span[position..], -1);
                    position += 4;
                    break;
                default:
                    BinaryPrimitives.WriteInt32BigEndian(span[position..], value.Length);
                    position += 4;
                    if (!value.IsNull)
                    {
                        value.Data.CopyTo(span[position..]);
                        position += (int)value.Data.Length;
                    }

                    break;
            }
        }

        output.Advance(position);
    }

    /// <summary>A value as one span: a slice when it lies in one segment (the usual case), else copied into a reused buffer.</summary>
    private ReadOnlySpan<byte> Contiguous(ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            return data.FirstSpan;
        }

        if (_contiguous.Length < data.Length)
        {
            _contiguous = new byte[Math.Max(data.Length, _contiguous.Length * 2)];
        }

        data.CopyTo(_contiguous);
        return _contiguous.AsSpan(0, (int)data.Length);
    }
}
