using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Masking.Rules;

namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>
/// Looks for sensitive values inside a binary value whose layout the proxy does not know (a composite, a record, an
/// extension type, a function's binary result). Such values hold text fields behind binary lengths and type OIDs:
/// control bytes and bytes that are not UTF-8 are read as separators, and because the last byte of a length can
/// itself be a printable character glued to the text after it (length 50 is '2'), every run is scanned again
/// without its first and without its first two characters. Only the answer "something is there" is used: the caller
/// sends NULL, since a masked replacement could not be written back into a layout it does not know.
/// </summary>
public static class OpaqueValueScanner
{
    private const int StackChars = 512;

    /// <summary>True when any detector rule finds something; the matches are counted into <paramref name="detectorCounts"/> (one array per rule).</summary>
    public static bool FindsAnything(ReadOnlySpan<byte> value, IReadOnlyList<DetectorMask> rules, int[][] detectorCounts)
    {
        if (rules.Count == 0 || value.IsEmpty)
        {
            return false;
        }

        char[]? rented = null;
        Span<char> text = value.Length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(value.Length));
        try
        {
            var length = Readable(value, text);
            text = text[..length];
            for (var skip = 0; skip <= 2; skip++)
            {
                if (skip > 0)
                {
                    HideRunStarts(text, skip);
                }

                for (var i = 0; i < rules.Count; i++)
                {
                    if (rules[i].Masker.TryMask(text, detectorCounts[i], out _))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Valid UTF-8 text as itself; control bytes, DEL and bytes that do not decode as separators (a space).</summary>
    private static int Readable(ReadOnlySpan<byte> value, Span<char> text)
    {
        var written = 0;
        while (!value.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(value, out var rune, out var consumed) == OperationStatus.Done && rune.Value >= 0x20 && rune.Value != 0x7F)
            {
                written += rune.EncodeToUtf16(text[written..]);
            }
            else
            {
                text[written++] = ' ';
            }

            value = value[consumed..];
        }

        return written;
    }

    /// <summary>Turns the <paramref name="count"/>-th character of every run (after a separator or the start) into a separator.</summary>
    private static void HideRunStarts(Span<char> text, int count)
    {
        var position = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ')
            {
                position = 0;
                continue;
            }

            position++;
            if (position == count)
            {
                text[i] = ' ';
            }
        }
    }
}
