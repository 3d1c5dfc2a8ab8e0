using System.Buffers;
using System.Buffers.Binary;
using HoopProxy.Postgres.Masking.Wire;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// COPY's binary format: a header (the 11-byte signature, int32 flags, int32 extension length, the extension), then
/// tuples (int16 field count; per field an int32 length, -1 for NULL, and the bytes), then the trailer: a field count
/// of -1. The header and trailer pass through as they came; a masked field gets its new length.
/// </summary>
internal sealed class BinaryRowFormat(CopyFieldMasking masking) : CopyRowFormat
{
    /// <summary>"PGCOPY\n\377\r\n\0": the line endings and the high-bit byte catch files mangled by text-mode transfers.</summary>
    private static readonly byte[] Signature = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0];

    private const int CriticalFlagsMask = unchecked((int)0xFFFF0000);

    private enum Part
    {
        Signature,
        Flags,
        ExtensionLength,
        Extension,
        FieldCount,
        FieldLength,
        FieldValue,
        AfterTrailer,
    }

    private Part _part = Part.Signature;
    private int _remaining = Signature.Length; // bytes still to read in the current part
    private int _integer;
    private int _fieldsLeft;
    private bool _headerWritten;

    public override string? ProblemAtEnd => _part == Part.AfterTrailer ? null : "binary COPY data ended before its end-of-data trailer";

    public override int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            switch (_part)
            {
                case Part.Signature:
                    if (data[i] != Signature[^_remaining])
                    {
                        throw new CopyFormatException("binary COPY data does not start with the PGCOPY signature");
                    }

                    i++;
                    if (--_remaining == 0)
                    {
                        BeginInteger(Part.Flags, 4);
                    }

                    break;
                case Part.Extension:
                case Part.FieldValue:
                    var skipped = Math.Min(_remaining, data.Length - i);
                    i += skipped;
                    _remaining -= skipped;
                    if (_remaining == 0 && (_part == Part.Extension ? EndUnit() : EndField()))
                    {
                        return i;
                    }

                    break;
                case Part.AfterTrailer:
                    throw new CopyFormatException("binary COPY data goes on after its end-of-data trailer");
                default:
                    _integer = (_integer << 8) | data[i++];
                    if (--_remaining == 0 && EndInteger())
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }

    public override void Rewrite(ReadOnlySpan<byte> unit, IBufferWriter<byte> output)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(unit);
        if (!_headerWritten || count == -1)
        {
            _headerWritten = true;
            output.Write(unit);
            return;
        }

        var splice = new RowSplice(unit, output);
        var position = sizeof(short);
        for (var column = 0; column < count; column++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(unit[position..]);
            var start = position;
            position += sizeof(int);
            if (length < 0)
            {
                continue;
            }

            var value = unit.Slice(position, length);
            position += length;
            switch (masking.Mask(column, value, binary: true))
            {
                case FieldMaskResult.Replaced:
                    WriteField(splice.Replace(start, position), masking.Replacement);
                    break;
                case FieldMaskResult.Null:
                    WriteLength(splice.Replace(start, position), -1);
                    break;
            }
        }

        splice.Finish();
    }

    private static void WriteField(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteLength(output, value.Length);
        output.Write(value);
    }

    private static void WriteLength(IBufferWriter<byte> output, int length)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(sizeof(int)), length);
        output.Advance(sizeof(int));
    }

    private void BeginInteger(Part part, int size)
    {
        _part = part;
        _remaining = size;
        _integer = 0;
    }

    /// <summary>Acts on a completed integer; true when it completes the unit.</summary>
    private bool EndInteger()
    {
        switch (_part)
        {
            case Part.Flags:
                // Bits 16–31 are critical: a reader must refuse what it does not know (bit 16 was "OIDs included").
                if ((_integer & CriticalFlagsMask) != 0)
                {
                    throw new CopyFormatException($"binary COPY header has unknown critical flags 0x{_integer:X8}");
                }

                BeginInteger(Part.ExtensionLength, 4);
                return false;
            case Part.ExtensionLength:
                if (_integer < 0)
                {
                    throw new CopyFormatException("binary COPY header has a negative extension length");
                }

                _part = Part.Extension;
                _remaining = _integer;
                return _remaining == 0 && EndUnit();
            case Part.FieldCount:
                var count = (short)_integer;
                if (count == -1)
                {
                    _part = Part.AfterTrailer;
                    return true;
                }

                if (count < 0)
                {
                    throw new CopyFormatException($"binary COPY tuple has field count {count}");
                }

                _fieldsLeft = count;
                return _fieldsLeft == 0 ? EndUnit() : BeginField();
            case Part.FieldLength:
                if (_integer < -1)
                {
                    throw new CopyFormatException($"binary COPY field has length {_integer}");
                }

                if (_integer <= 0)
                {
                    return EndField();
                }

                _part = Part.FieldValue;
                _remaining = _integer;
                return false;
            default:
                throw new InvalidOperationException($"no integer is read in part {_part}");
        }
    }

    private bool BeginField()
    {
        BeginInteger(Part.FieldLength, 4);
        return false;
    }

    private bool EndField() => --_fieldsLeft == 0 ? EndUnit() : BeginField();

    /// <summary>Ends a unit (the header or a tuple): the next one starts with a field count.</summary>
    private bool EndUnit()
    {
        BeginInteger(Part.FieldCount, 2);
        return true;
    }
}
