using System.Text;

namespace HoopProxy.Postgres.Masking;

/// <summary>
/// Keeps the last <see cref="Keep"/> letters/digits and replaces every other letter or digit with <c>*</c>; separators
/// (anything else: spaces, dashes, dots, <c>@</c>) stay, so the shape and length survive
/// (<c>4111-1111-1111-1111</c> → <c>****-****-****-1111</c>). When the value has no more than <see cref="Keep"/>
/// letters/digits, all of them are masked: a partial mask that would show the whole value shows nothing.
/// Letters outside the BMP (a surrogate pair) become one <c>*</c>, so length is kept in characters, not UTF-16 units.
/// </summary>
public sealed class PartialOperator : MaskOperator
{
    private const char MaskChar = '*';

    public PartialOperator(int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        Keep = keep;
    }

    public int Keep { get; }

    public override MaskOperatorKind Kind => MaskOperatorKind.Partial;

    public override int GetReplacementLength(ReadOnlySpan<char> original, string label)
    {
        if (System.Text.Ascii.IsValid(original))
        {
            // Every ASCII character stays one character (masked or kept): the common case, without decoding runes.
            return original.Length;
        }

        int firstKept = FirstKeptIndex(original);
        int length = 0;
        int maskable = 0;
        var remaining = original;
        while (!remaining.IsEmpty)
        {
            Rune.DecodeFromUtf16(remaining, out var rune, out int consumed);
            bool masked = IsMaskable(rune, consumed) && maskable++ < firstKept;
            length += masked ? 1 : consumed;
            remaining = remaining[consumed..];
        }

        return length;
    }

    public override void WriteReplacement(ReadOnlySpan<char> original, string label, Span<char> destination)
    {
        if (System.Text.Ascii.IsValid(original))
        {
            WriteAscii(original, destination);
            return;
        }

        int firstKept = FirstKeptIndex(original);
        int written = 0;
        int maskable = 0;
        var remaining = original;
        while (!remaining.IsEmpty)
        {
            Rune.DecodeFromUtf16(remaining, out var rune, out int consumed);
            if (IsMaskable(rune, consumed) && maskable++ < firstKept)
            {
                destination[written++] = MaskChar;
            }
            else
            {
                remaining[..consumed].CopyTo(destination[written..]);
                written += consumed;
            }

            remaining = remaining[consumed..];
        }
    }

    /// <summary>The same rule for ASCII text, where letters and digits are recognised without Unicode tables.</summary>
    private void WriteAscii(ReadOnlySpan<char> original, Span<char> destination)
    {
        int total = 0;
        foreach (char c in original)
        {
            total += char.IsAsciiLetterOrDigit(c) ? 1 : 0;
        }

        int firstKept = total > Keep ? total - Keep : total;
        int maskable = 0;
        for (int i = 0; i < original.Length; i++)
        {
            char c = original[i];
            destination[i] = char.IsAsciiLetterOrDigit(c) && maskable++ < firstKept ? MaskChar : c;
        }
    }

    /// <summary>The ordinal (among maskable characters) of the first one to keep; all of them when there are too few.</summary>
    private int FirstKeptIndex(ReadOnlySpan<char> original)
    {
        int total = 0;
        var remaining = original;
        while (!remaining.IsEmpty)
        {
            Rune.DecodeFromUtf16(remaining, out var rune, out int consumed);
            if (IsMaskable(rune, consumed))
            {
                total++;
            }

            remaining = remaining[consumed..];
        }

        return total > Keep ? total - Keep : total;
    }

    // A lone surrogate decodes to U+FFFD; it is masked too, since it may be half of a letter.
    private static bool IsMaskable(Rune rune, int consumed) =>
        Rune.IsLetterOrDigit(rune) || (rune == Rune.ReplacementChar && consumed == 1);
}
