using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Masking.Wire;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// COPY's CSV format: a row ends at a newline outside quotes; a field may mix quoted and unquoted stretches; inside
/// quotes the escape character followed by the quote or itself stands for that character; an unquoted field equal to
/// the NULL string is NULL (a quoted one never is). Read as PostgreSQL's CopyReadAttributesCSV reads it.
/// </summary>
internal sealed class CsvRowFormat : CopyRowFormat
{
    private static readonly byte[] EndOfDataMarker = "\\."u8.ToArray();

    private readonly byte _delimiter;
    private readonly byte _quote;
    private readonly byte _escape;
    private readonly byte[] _null;
    private readonly SearchValues<byte> _needsQuotes;
    private readonly CopyFieldMasking _masking;
    private readonly PooledByteBuffer _decoded = new();
    private bool _headerPending;
    private bool _inQuotes;
    private bool _escapePending;

    public CsvRowFormat(CopyOutOptions options, CopyFieldMasking masking)
    {
        _delimiter = (byte)options.Delimiter;
        _quote = (byte)options.Quote;
        _escape = (byte)options.Escape;
        _null = Encoding.UTF8.GetBytes(options.NullString);
        _needsQuotes = SearchValues.Create([_delimiter, _quote, (byte)'\n', (byte)'\r']);
        _masking = masking;
        _headerPending = options.Header;
    }

    public override int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            if (_escapePending)
            {
                // The byte after an escape character inside quotes decides what it was.
                _escapePending = false;
                if (data[i] == _escape || data[i] == _quote)
                {
                    i++;
                }
                else if (_escape == _quote)
                {
                    _inQuotes = false;
                }

                continue;
            }

            if (!_inQuotes)
            {
                var next = data[i..].IndexOfAny(_quote, (byte)'\n');
                if (next < 0)
                {
                    return -1;
                }

                i += next;
                if (data[i] == '\n')
                {
                    return i + 1;
                }

                _inQuotes = true;
                i++;
            }
            else
            {
                var next = data[i..].IndexOfAny(_quote, _escape);
                if (next < 0)
                {
                    return -1;
                }

                i += next;
                if (data[i] == _escape)
                {
                    _escapePending = true;
                }
                else
                {
                    _inQuotes = false;
                }

                i++;
            }
        }

        return -1;
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
            var end = FieldEnd(line, start, out var quoted);
            var raw = line[start..end];
            if (quoted || !raw.SequenceEqual(_null))
            {
                var onlyField = start == 0 && end == line.Length;
                MaskField(column, raw, quoted, onlyField, start, end, ref splice);
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

    /// <summary>Where the field starting at <paramref name="start"/> ends (a delimiter outside quotes, or the line's end), and whether any of it was quoted.</summary>
    private int FieldEnd(ReadOnlySpan<byte> line, int start, out bool quoted)
    {
        quoted = false;
        var i = start;
        while (i < line.Length)
        {
            var c = line[i];
            if (c == _delimiter)
            {
                return i;
            }

            i++;
            if (c == _quote)
            {
                quoted = true;
                i = AfterQuotedStretch(line, i, value: null);
            }
        }

        return line.Length;
    }

    /// <summary>Reads a quoted stretch from just after its opening quote to just after its closing one, writing its content to <paramref name="value"/> when given.</summary>
    private int AfterQuotedStretch(ReadOnlySpan<byte> line, int i, PooledByteBuffer? value)
    {
        while (true)
        {
            if (i >= line.Length)
            {
                throw new CopyFormatException("unterminated CSV quoted field");
            }

            var c = line[i++];
            if (c == _escape && i < line.Length && (line[i] == _escape || line[i] == _quote))
            {
                value?.Write(line[i]);
                i++;
                continue;
            }

            if (c == _quote)
            {
                return i;
            }

            value?.Write(c);
        }
    }

    private void Decode(ReadOnlySpan<byte> raw)
    {
        _decoded.Clear();
        var i = 0;
        while (i < raw.Length)
        {
            var quote = raw[i..].IndexOf(_quote);
            if (quote < 0)
            {
                _decoded.Write(raw[i..]);
                return;
            }

            _decoded.Write(raw.Slice(i, quote));
            i = AfterQuotedStretch(raw, i + quote + 1, _decoded);
        }
    }

    private void MaskField(int column, ReadOnlySpan<byte> raw, bool quoted, bool onlyField, int start, int end, ref RowSplice splice)
    {
        var value = raw;
        if (quoted)
        {
            Decode(raw);
            value = _decoded.WrittenSpan;
        }

        switch (_masking.Mask(column, value, binary: false))
        {
            case FieldMaskResult.Replaced:
                WriteField(_masking.Replacement, quoted, onlyField, splice.Replace(start, end));
                break;
            case FieldMaskResult.Null:
                splice.Replace(start, end).Write(_null);
                break;
        }
    }

    /// <summary>
    /// Writes a replacement as PostgreSQL's CopyAttributeOutCSV would, quoted when it holds the delimiter, the quote,
    /// CR or LF, equals the NULL string, or is a lone <c>\.</c> (the end-of-data marker); also quoted when the original
    /// was, so FORCE_QUOTE columns stay quoted. Inside quotes the quote and escape characters get the escape before them.
    /// </summary>
    private void WriteField(ReadOnlySpan<byte> value, bool originalQuoted, bool onlyField, IBufferWriter<byte> output)
    {
        var quote = originalQuoted
            || value.SequenceEqual(_null)
            || value.IndexOfAny(_needsQuotes) >= 0
            || (onlyField && value.SequenceEqual(EndOfDataMarker));
        if (!quote)
        {
            output.Write(value);
            return;
        }

        output.Write([_quote]);
        while (!value.IsEmpty)
        {
            var next = value.IndexOfAny(_quote, _escape);
            if (next < 0)
            {
                output.Write(value);
                break;
            }

            output.Write(value[..next]);
            output.Write([_escape, value[next]]);
            value = value[(next + 1)..];
        }

        output.Write([_quote]);
    }
}
