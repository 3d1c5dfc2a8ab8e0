using System.Buffers;
using System.Globalization;

namespace HoopProxy.Postgres.Masking;

/// <summary>
/// The text detectors scan when a value holds JSON <c>\uXXXX</c> escapes: the escapes decoded (so
/// <c>\u0031\u0032\u0033-45-6789</c> is seen as <c>123-45-6789</c>), with a map back to the original positions so
/// that the masked replacement covers the escaped original. <c>\\</c> and other escaped pairs are kept as they are,
/// so <c>\\u0034</c> (an escaped backslash, then text) stays text. Values without <c>\u</c> cost one vectorised search.
/// </summary>
internal ref struct UnicodeEscapeView
{
    private char[]? _decoded;
    private int[]? _originalIndex;

    private UnicodeEscapeView(ReadOnlySpan<char> text, char[]? decoded, int[]? originalIndex)
    {
        Text = text;
        _decoded = decoded;
        _originalIndex = originalIndex;
    }

    /// <summary>What detectors scan: the value itself, or its decoded form.</summary>
    public ReadOnlySpan<char> Text { get; }

    public readonly bool IsDecoded => _originalIndex is not null;

    public static UnicodeEscapeView Create(ReadOnlySpan<char> value)
    {
        if (value.IndexOf("\\u", StringComparison.Ordinal) < 0)
        {
            return new UnicodeEscapeView(value, null, null);
        }

        var decoded = ArrayPool<char>.Shared.Rent(value.Length);
        var originalIndex = ArrayPool<int>.Shared.Rent(value.Length + 1);
        int length = 0;
        int i = 0;
        while (i < value.Length)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                if (value[i + 1] == 'u' && i + 6 <= value.Length &&
                    ushort.TryParse(value.Slice(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
                {
                    originalIndex[length] = i;
                    decoded[length++] = (char)code;
                    i += 6;
                    continue;
                }

                // Any other escaped pair stays two characters, so the backslash of "\\" never starts an escape.
                originalIndex[length] = i;
                decoded[length++] = '\\';
                originalIndex[length] = i + 1;
                decoded[length++] = value[i + 1];
                i += 2;
                continue;
            }

            originalIndex[length] = i;
            decoded[length++] = value[i++];
        }

        originalIndex[length] = value.Length;
        if (length == value.Length)
        {
            // Only "\u" not followed by four hex digits: nothing was decoded.
            ArrayPool<char>.Shared.Return(decoded);
            ArrayPool<int>.Shared.Return(originalIndex);
            return new UnicodeEscapeView(value, null, null);
        }

        return new UnicodeEscapeView(decoded.AsSpan(0, length), decoded, originalIndex);
    }

    /// <summary>The position in the original value of position <paramref name="index"/> of <see cref="Text"/> (its length maps to the value's length).</summary>
    public readonly int OriginalIndex(int index) => _originalIndex is null ? index : _originalIndex[index];

    public void Dispose()
    {
        if (_decoded is not null)
        {
            ArrayPool<char>.Shared.Return(_decoded);
            _decoded = null;
        }

        if (_originalIndex is not null)
        {
            ArrayPool<int>.Shared.Return(_originalIndex);
            _originalIndex = null;
        }
    }
}
