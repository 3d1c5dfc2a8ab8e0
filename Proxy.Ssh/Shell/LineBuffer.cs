using System.Text;

namespace HoopProxy.Ssh.Shell;

/// <summary>
/// The characters of the line being typed and the cursor, as a gap buffer: the gap sits at the cursor, so typing and
/// pasting cost O(1) per character wherever the cursor is, and moving the cursor costs the distance moved. The buffer
/// holds at most <c>capacity</c> UTF-16 code units; what does not fit is dropped and <see cref="Truncated"/> says so.
/// Positions never split a surrogate pair.
/// </summary>
internal sealed class LineBuffer(int capacity)
{
    private char[] _chars = new char[Math.Min(capacity, 128)];
    private int _gapStart;
    private int _gapEnd = Math.Min(capacity, 128);

    public int Length => _chars.Length - (_gapEnd - _gapStart);

    public int Cursor => _gapStart;

    /// <summary>Something typed did not fit.</summary>
    public bool Truncated { get; private set; }

    public char this[int index] => index < _gapStart ? _chars[index] : _chars[index + _gapEnd - _gapStart];

    /// <summary>Inserts at the cursor and moves the cursor after the text, as far as it fits.</summary>
    public void Insert(ReadOnlySpan<char> text)
    {
        var room = capacity - Length;
        if (text.Length > room)
        {
            Truncated = true;
            text = text[..room];
            if (text.Length > 0 && char.IsHighSurrogate(text[^1]))
            {
                text = text[..^1];
            }
        }

        EnsureGap(text.Length);
        text.CopyTo(_chars.AsSpan(_gapStart));
        _gapStart += text.Length;
    }

    /// <summary>Inserts printable ASCII bytes (the bulk of typing and of pastes) without decoding them one by one.</summary>
    public void InsertAscii(ReadOnlySpan<byte> text)
    {
        var room = capacity - Length;
        if (text.Length > room)
        {
            Truncated = true;
            text = text[..room];
        }

        EnsureGap(text.Length);
        Encoding.ASCII.GetChars(text, _chars.AsSpan(_gapStart));
        _gapStart += text.Length;
    }

    public void Insert(Rune character)
    {
        Span<char> utf16 = stackalloc char[2];
        Insert(utf16[..character.EncodeToUtf16(utf16)]);
    }

    public void MoveTo(int position)
    {
        position = Math.Clamp(position, 0, Length);
        if (position < _gapStart)
        {
            var count = _gapStart - position;
            Array.Copy(_chars, position, _chars, _gapEnd - count, count);
            _gapStart -= count;
            _gapEnd -= count;
        }
        else if (position > _gapStart)
        {
            var count = position - _gapStart;
            Array.Copy(_chars, _gapEnd, _chars, _gapStart, count);
            _gapStart += count;
            _gapEnd += count;
        }
    }

    /// <summary>Removes the text between two positions and returns it; the cursor ends where the text was.</summary>
    public string Remove(int from, int to)
    {
        from = Math.Clamp(from, 0, Length);
        to = Math.Clamp(to, from, Length);
        MoveTo(from);
        var removed = new string(_chars, _gapEnd, to - from);
        _gapEnd += to - from;
        return removed;
    }

    /// <summary>Replaces the whole line (a history entry) with the cursor at its end.</summary>
    public void Set(string text)
    {
        Clear();
        Insert(text);
    }

    public void Clear()
    {
        _gapStart = 0;
        _gapEnd = _chars.Length;
        Truncated = false;
    }

    /// <summary>The position one character before <paramref name="position"/> (a surrogate pair is one character).</summary>
    public int Before(int position) =>
        position <= 0 ? 0 : position >= 2 && char.IsLowSurrogate(this[position - 1]) && char.IsHighSurrogate(this[position - 2]) ? position - 2 : position - 1;

    /// <summary>The position one character after <paramref name="position"/>.</summary>
    public int After(int position) =>
        position >= Length ? Length : position + 1 < Length && char.IsHighSurrogate(this[position]) && char.IsLowSurrogate(this[position + 1]) ? position + 2 : position + 1;

    public override string ToString() => string.Concat(_chars.AsSpan(0, _gapStart), _chars.AsSpan(_gapEnd));

    private void EnsureGap(int needed)
    {
        if (_gapEnd - _gapStart >= needed)
        {
            return;
        }

        var size = Math.Min(capacity, Math.Max(_chars.Length * 2, Length + needed));
        var grown = new char[size];
        var tail = _chars.Length - _gapEnd;
        Array.Copy(_chars, grown, _gapStart);
        Array.Copy(_chars, _gapEnd, grown, size - tail, tail);
        _gapEnd = size - tail;
        _chars = grown;
    }
}
