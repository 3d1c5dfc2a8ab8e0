using System.Buffers;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// Backslash escaping of COPY's text format, read as PostgreSQL's CopyReadAttributesText reads it and written as its
/// CopyAttributeOutText writes it, so a value written here reads back as exactly that value.
/// </summary>
internal static class CopyTextEscaping
{
    /// <summary>
    /// The length of the escape starting with the backslash at <paramref name="backslash"/>: <c>\</c> + up to three
    /// octal digits, <c>\x</c> + up to two hex digits, or <c>\</c> + any one byte. A backslash that ends the line is 1
    /// (PostgreSQL drops it).
    /// </summary>
    public static int EscapeLength(ReadOnlySpan<byte> line, int backslash)
    {
        var next = backslash + 1;
        if (next >= line.Length)
        {
            return 1;
        }

        var c = line[next];
        if (IsOctal(c))
        {
            var end = next + 1;
            while (end < line.Length && end < next + 3 && IsOctal(line[end]))
            {
                end++;
            }

            return end - backslash;
        }

        if (c == 'x' && next + 1 < line.Length && char.IsAsciiHexDigit((char)line[next + 1]))
        {
            return next + 2 < line.Length && char.IsAsciiHexDigit((char)line[next + 2]) ? 4 : 3;
        }

        return 2;
    }

    /// <summary>Writes the value <paramref name="raw"/> (one field, not NULL) stands for.</summary>
    public static void Decode(ReadOnlySpan<byte> raw, PooledByteBuffer value)
    {
        var i = 0;
        while (i < raw.Length)
        {
            var backslash = raw[i..].IndexOf((byte)'\\');
            if (backslash < 0)
            {
                value.Write(raw[i..]);
                return;
            }

            value.Write(raw.Slice(i, backslash));
            i += backslash;
            var length = EscapeLength(raw, i);
            if (length > 1)
            {
                value.Write(Unescape(raw.Slice(i + 1, length - 1)));
            }

            i += length;
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> escaped: backslash and the delimiter get a backslash before them; backspace,
    /// form feed, newline, carriage return, tab and vertical tab become <c>\b \f \n \r \t \v</c>; other control
    /// characters pass as they are (unless one is the delimiter).
    /// </summary>
    public static void WriteEscaped(ReadOnlySpan<byte> value, byte delimiter, SearchValues<byte> special, IBufferWriter<byte> output)
    {
        while (!value.IsEmpty)
        {
            var next = value.IndexOfAny(special);
            if (next < 0)
            {
                output.Write(value);
                return;
            }

            output.Write(value[..next]);
            var c = value[next];
            var letter = ControlLetter(c);
            if (letter != 0)
            {
                WritePair(output, letter);
            }
            else if (c == '\\' || c == delimiter)
            {
                WritePair(output, c);
            }
            else
            {
                output.Write([c]);
            }

            value = value[(next + 1)..];
        }
    }

    /// <summary>The bytes <see cref="WriteEscaped"/> may have to change for <paramref name="delimiter"/>: every control character, the backslash and the delimiter.</summary>
    public static SearchValues<byte> SpecialBytes(byte delimiter)
    {
        var bytes = new List<byte> { (byte)'\\', delimiter };
        for (var c = 0; c < 0x20; c++)
        {
            bytes.Add((byte)c);
        }

        return SearchValues.Create([.. bytes.Distinct()]);
    }

    private static bool IsOctal(byte c) => c is >= (byte)'0' and <= (byte)'7';

    /// <summary>The byte an escape (without its backslash) stands for; values above 255 keep their low byte, as in PostgreSQL.</summary>
    private static byte Unescape(ReadOnlySpan<byte> escape)
    {
        var c = escape[0];
        if (IsOctal(c))
        {
            var octal = 0;
            foreach (var digit in escape)
            {
                octal = (octal << 3) + (digit - '0');
            }

            return (byte)(octal & 0xFF);
        }

        if (c == 'x' && escape.Length > 1)
        {
            var hex = 0;
            foreach (var digit in escape[1..])
            {
                hex = (hex << 4) + HexValue(digit);
            }

            return (byte)hex;
        }

        return c switch
        {
            (byte)'b' => (byte)'\b',
            (byte)'f' => (byte)'\f',
            (byte)'n' => (byte)'\n',
            (byte)'r' => (byte)'\r',
            (byte)'t' => (byte)'\t',
            (byte)'v' => (byte)'\v',
            _ => c,
        };
    }

    private static int HexValue(byte digit) => digit switch
    {
        >= (byte)'0' and <= (byte)'9' => digit - '0',
        >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
        _ => digit - 'A' + 10,
    };

    private static byte ControlLetter(byte c) => c switch
    {
        (byte)'\b' => (byte)'b',
        (byte)'\f' => (byte)'f',
        (byte)'\n' => (byte)'n',
        (byte)'\r' => (byte)'r',
        (byte)'\t' => (byte)'t',
        (byte)'\v' => (byte)'v',
        _ => 0,
    };

    private static void WritePair(IBufferWriter<byte> output, byte c)
    {
        var span = output.GetSpan(2);
        span[0] = (byte)'\\';
        span[1] = c;
        output.Advance(2);
    }
}
