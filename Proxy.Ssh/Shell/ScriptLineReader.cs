using System.Text;

namespace HoopProxy.Ssh.Shell;

/// <summary>
/// The lines of a shell's standard input without a terminal (<c>ssh -T host</c>, <c>ssh host &lt; script</c>): no terminal
/// edits them, so each line is the bytes up to a newline, UTF-8 decoded (invalid bytes become U+FFFD), a final CR
/// dropped. Lines longer than the limit keep their start and are marked <see cref="Uncertainty.Truncated"/>. O(1) per
/// byte (newlines are found with a vectorised search); memory is one line.
/// </summary>
internal sealed class ScriptLineReader(int maxLineLength = TypedLineReader.DefaultMaxLineLength) : ILineReader
{
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _line = new char[Math.Min(maxLineLength, 256)];
    private int _length;
    private bool _truncated;
    private bool _begun;

    public void ReadInput(ReadOnlySpan<byte> input, List<TypedLine> lines)
    {
        while (!input.IsEmpty)
        {
            var newline = input.IndexOf((byte)'\n');
            Append(newline < 0 ? input : input[..newline], flush: newline >= 0);
            if (newline < 0)
            {
                return;
            }

            Emit(TypedLineEnd.Entered, lines);
            input = input[(newline + 1)..];
        }
    }

    public void ReadOutput(ReadOnlySpan<byte> output)
    {
    }

    public void Finish(List<TypedLine> lines)
    {
        Append([], flush: true);
        if (_begun)
        {
            Emit(TypedLineEnd.Unfinished, lines);
        }
    }

    private void Append(ReadOnlySpan<byte> bytes, bool flush)
    {
        _begun |= !bytes.IsEmpty;
        if (_truncated)
        {
            return;
        }

        while (true)
        {
            // Room for what these bytes can decode to (one character per byte, plus one held back by the decoder).
            if (_line.Length - _length < bytes.Length + 2 && _line.Length < maxLineLength + 2)
            {
                Array.Resize(ref _line, (int)Math.Min(maxLineLength + 2L, Math.Max(_line.Length * 2L, _length + bytes.Length + 2L)));
            }

            var room = Math.Min(_line.Length, maxLineLength + 2) - _length;
            if (room < 2)
            {
                _truncated = true;
                return;
            }

            _utf8.Convert(bytes, _line.AsSpan(_length, room), flush, out var used, out var decoded, out var completed);
            _length += decoded;
            bytes = bytes[used..];
            if (completed || bytes.IsEmpty)
            {
                return;
            }
        }
    }

    private void Emit(TypedLineEnd end, List<TypedLine> lines)
    {
        var length = _length > 0 && _line[_length - 1] == '\r' ? _length - 1 : _length;
        var truncated = _truncated || length > maxLineLength;
        length = Math.Min(length, maxLineLength);
        if (length > 0 && char.IsHighSurrogate(_line[length - 1]) && truncated)
        {
            length--;
        }

        if (length > 0 || truncated)
        {
            lines.Add(new TypedLine(new string(_line, 0, length), end, truncated ? Uncertainty.Truncated : Uncertainty.None));
        }

        _length = 0;
        _truncated = false;
        _begun = false;
        _utf8.Reset();
    }
}
