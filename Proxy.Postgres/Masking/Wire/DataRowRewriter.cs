using System.Buffers;
using System.Buffers.Binary;
using HoopProxy.Postgres.Protocol;

namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>
/// Rewrites one DataRow through a <see cref="RowsPlan"/>: only the columns the plan masks are looked at, and a row
/// in which nothing changed is left alone. The row is read as one span (it is at most the inspect limit, and almost
/// always one segment of the pipe already) with plain offsets, and buffers are reused from row to row, so a result
/// streams with a bounded, constant amount of memory and no allocation per row.
/// </summary>
public sealed class DataRowRewriter
{
    private readonly ArrayBufferWriter<byte> _replacements = new(1024);
    private Field[] _fields = new Field[16];
    private byte[] _contiguous = new byte[1024];
    private int _count;
    private ReadOnlySequence<byte> _body;

    /// <summary>True when the last row spanned segments and was copied into <see cref="_contiguous"/>.</summary>
    private bool _copied;

    /// <summary>One column: where its value lies in the row (Length -1 for NULL) and what masking made of it.</summary>
    private struct Field
    {
        public int Offset;
        public int Length;
        public FieldMaskResult Result;
        public int ReplacementOffset;
        public int ReplacementLength;
    }

    /// <summary>False when the row needs no change; otherwise <see cref="WriteMasked"/> writes the masked row.</summary>
    public bool TryMask(ReadOnlySequence<byte> body, RowsPlan rows)
    {
        var row = Contiguous(body);
        _body = body;
        if (row.Length < 2)
        {
            throw Malformed();
        }

        _count = BinaryPrimitives.ReadUInt16BigEndian(row);
        if (_fields.Length < _count)
        {
            _fields = new Field[Math.Max(_count, _fields.Length * 2)];
        }

        _replacements.ResetWrittenCount();
        var changed = false;
        var position = 2;
        for (var column = 0; column < _count; column++)
        {
            if (row.Length - position < 4)
            {
                throw Malformed();
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(row[position..]);
            position += 4;
            if (length < -1 || length > row.Length - position)
            {
                throw Malformed();
            }

            ref var field = ref _fields[column];
            field.Offset = position;
            field.Length = length;
            field.Result = FieldMaskResult.Unchanged;
            if (length >= 0 && rows.Plan.IsMasked(column))
            {
                field.ReplacementOffset = _replacements.WrittenCount;
                var binary = column < rows.Binary.Length && rows.Binary[column];
                field.Result = rows.Plan.Mask(column, row.Slice(position, length), binary, _replacements);
                field.ReplacementLength = _replacements.WrittenCount - field.ReplacementOffset;
                changed |= field.Result != FieldMaskResult.Unchanged;
            }

            position += Math.Max(length, 0);
        }

        if (position != row.Length)
        {
            throw Malformed();
        }

        return changed;
    }

    /// <summary>The whole DataRow message of the last row <see cref="TryMask"/> changed, with the masked values in place.</summary>
    public void WriteMasked(IBufferWriter<byte> output)
    {
        var row = _copied ? _contiguous.AsSpan(0, (int)_body.Length) : _body.FirstSpan;
        long bodyLength = 2;
        for (var i = 0; i < _count; i++)
        {
            var field = _fields[i];
            bodyLength += 4 + field.Result switch
            {
                FieldMaskResult.Replaced => field.ReplacementLength,
                FieldMaskResult.Null => 0,
                _ => Math.Max(field.Length, 0),
            };
        }

        var total = checked((int)(MessageHeader.Size + bodyLength));
        var span = output.GetSpan(total);
        span[0] = (byte)BackendMessageCode.DataRow;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], total - 1);
        BinaryPrimitives.WriteInt16BigEndian(span[5..], (short)_count);
        var position = MessageHeader.Size + 2;
        var replacements = _replacements.WrittenSpan;
        for (var i = 0; i < _count; i++)
        {
            var field = _fields[i];
            switch (field.Result)
            {
                case FieldMaskResult.Replaced:
                    BinaryPrimitives.WriteInt32BigEndian(span[position..], field.ReplacementLength);
                    replacements.Slice(field.ReplacementOffset, field.ReplacementLength).CopyTo(span[(position + 4)..]);
                    position += 4 + field.ReplacementLength;
                    break;
                case FieldMaskResult.Null:
                    BinaryPrimitives.WriteInt32BigEndian(span[position..], -1);
                    position += 4;
                    break;
                default:
                    BinaryPrimitives.WriteInt32BigEndian(span[position..], field.Length);
                    position += 4;
                    if (field.Length > 0)
                    {
                        row.Slice(field.Offset, field.Length).CopyTo(span[position..]);
                        position += field.Length;
                    }

                    break;
            }
        }

        output.Advance(position);
    }

    /// <summary>The row as one span: a slice when it lies in one segment (the usual case), else copied into a reused buffer.</summary>
    private ReadOnlySpan<byte> Contiguous(ReadOnlySequence<byte> body)
    {
        _copied = !body.IsSingleSegment;
        if (!_copied)
        {
            return body.FirstSpan;
        }

        if (_contiguous.Length < body.Length)
        {
            _contiguous = new byte[Math.Max(body.Length, _contiguous.Length * 2)];
        }

        body.CopyTo(_contiguous);
        return _contiguous.AsSpan(0, (int)body.Length);
    }

    private static PostgresProtocolException Malformed() => new(SqlState.ProtocolViolation, "the server sent a malformed DataRow");
}
