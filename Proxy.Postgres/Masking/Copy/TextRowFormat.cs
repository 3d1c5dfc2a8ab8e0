using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Masking.Wire;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// COPY's text format: a row ends at a newline that no backslash escapes; fields are split on the delimiter; the NULL
/// string (compared raw) is NULL; every other field is unescaped before the masker sees it and a replacement is
/// escaped again.
/// </summary>
internal sealed class TextRowFormat : CopyRowFormat
{
    private readonly byte _delimiter;
    private readonly byte[] _null;
    private readonly SearchValues<byte> _special;
    private readonly CopyFieldMasking _masking;
    private readonly PooledByteBuffer _decoded = new();
    private bool _headerPending;
    private bool _afterBackslash;

    public TextRowFormat(CopyOutOptions options, CopyFieldMasking masking)
    {
        _delimiter = (byte)options.Delimiter;
        _null = Encoding.UTF8.GetBytes(options.NullString);
        _special = CopyTextEscaping.SpecialBytes(_delimiter);
        _masking = masking;
        _headerPending = options.Header;
    }

    public override int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        if (_afterBackslash)
        {
            if (data.IsEmpty)
            {
                return -1;
            }

            // The byte after a backslash is data, even a newline.
            _afterBackslash = false;
            i = 1;
        }

        while (true)
        {
            var next = data[i..].IndexOfAny((byte)'\\', (byte)'\n');
            if (next < 0)
            {
                return -1;
            }

            i += next;
            if (data[i] == '\n')
            {
                return i + 1;
            }

            if (i + 1 >= data.Length)
            {
                _afterBackslash = true;
                return -1;
            }

            i += 2;
        }
    }

    public override void Rewrite(ReadOnlySpan<byte> unit, IBufferWriter<byte> output)
    {
        if (_headerPending)
        {
            _headerPending = false;
            output.Write(unit);
            return;
        }

        var line = unit[..^1];
        var splice = new RowSplice(unit, output);
        var start = 0;
        for (var column = 0; ; column++)
        {
            var end = FieldEnd(line, start, out var escaped);
            var raw = line[start..end];
            if (!raw.SequenceEqual(_null))
            {
                MaskField(column, raw, escaped, start, end, ref splice);
            }

            if (end == line.Length)
            {
                break;
            }

            start = end + 1;
        }

        splice.Finish();
    }

    public override void Dispose() => _decoded.Dispose();

    /// <summary>Where the field starting at <paramref name="start"/> ends: the first delimiter not inside an escape (PostgreSQL reads the two in one pass).</summary>
    private int FieldEnd(ReadOnlySpan<byte> line, int start, out bool escaped)
    {
        escaped = false;
        var i = start;
        while (true)
        {
            var next = line[i..].IndexOfAny(_delimiter, (byte)'\\');
            if (next < 0)
            {
                return line.Length;
            }

            i += next;
            if (line[i] == _delimiter)
            {
                return i;
            }

            escaped = true;
            i += CopyTextEscaping.EscapeLength(line, i);
        }
    }

    private void MaskField(int column, ReadOnlySpan<byte> raw, bool escaped, int start, int end, ref RowSplice splice)
    {
        var value = raw;
        if (escaped)
        {
            _decoded.Clear();
            CopyTextEscaping.Decode(raw, _decoded);
            value = _decoded.WrittenSpan;
        }

        switch (_masking.Mask(column, value, binary: false))
        {
            case FieldMaskResult.Replaced:
                CopyTextEscaping.WriteEscaped(_masking.Replacement, _delimiter, _special, splice.Replace(start, end));
                break;
            case FieldMaskResult.Null:
                splice.Replace(start, end).Write(_null);
                break;
        }
    }
}
