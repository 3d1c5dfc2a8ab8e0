using System.Text;

namespace HoopProxy.Ssh.Shell;

/// <summary>
/// Readline's emacs-mode editing commands (bash's default) on a <see cref="LineBuffer"/>, with its definitions of a
/// word: letters and digits for Alt-b/Alt-f/Alt-d/Alt-Backspace and Ctrl-arrows, anything but whitespace for Ctrl-W.
/// Killed text goes to a one-entry kill ring for Ctrl-Y; consecutive kills join, as in readline (Ctrl-W Ctrl-W then
/// Ctrl-Y brings back both words).
/// </summary>
internal sealed class LineEditor(int capacity)
{
    private readonly LineBuffer _line = new(capacity);
    // The kill ring's one entry in pieces, so that a run of kills costs what it kills: backward kills join in front
    // (kept newest last), forward kills behind.
    private readonly List<string> _killedInFront = [];
    private readonly List<string> _killedBehind = [];
    private bool _killing;
    private bool _lastWasKill;

    public int Length => _line.Length;

    public int Cursor => _line.Cursor;

    public bool Truncated => _line.Truncated;

    public string Text => _line.ToString();

    /// <summary>Called before each command: a kill joins the kill ring's entry only right after another kill.</summary>
    public void BeginCommand()
    {
        _lastWasKill = _killing;
        _killing = false;
    }

    public void Insert(Rune character) => _line.Insert(character);

    public void Insert(ReadOnlySpan<char> text) => _line.Insert(text);

    public void InsertAscii(ReadOnlySpan<byte> text) => _line.InsertAscii(text);

    public void Set(string text) => _line.Set(text);

    public void Clear() => _line.Clear();

    public void BeginningOfLine() => _line.MoveTo(0);

    public void EndOfLine() => _line.MoveTo(_line.Length);

    public void MoveTo(int position) => _line.MoveTo(position);

    public void BackwardChar() => _line.MoveTo(_line.Before(_line.Cursor));

    public void ForwardChar() => _line.MoveTo(_line.After(_line.Cursor));

    public void BackwardWord() => _line.MoveTo(WordStartBefore(_line.Cursor));

    public void ForwardWord() => _line.MoveTo(WordEndAfter(_line.Cursor));

    public void BackwardDeleteChar() => _line.Remove(_line.Before(_line.Cursor), _line.Cursor);

    public void DeleteChar() => _line.Remove(_line.Cursor, _line.After(_line.Cursor));

    /// <summary>Ctrl-U (unix-line-discard).</summary>
    public void KillToStart() => Kill(0, _line.Cursor, backward: true);

    /// <summary>Ctrl-K (kill-line).</summary>
    public void KillToEnd() => Kill(_line.Cursor, _line.Length, backward: false);

    /// <summary>Ctrl-W (unix-word-rubout): back to the previous whitespace.</summary>
    public void UnixWordRubout()
    {
        var start = _line.Cursor;
        while (start > 0 && char.IsWhiteSpace(_line[start - 1]))
        {
            start--;
        }

        while (start > 0 && !char.IsWhiteSpace(_line[start - 1]))
        {
            start--;
        }

        Kill(start, _line.Cursor, backward: true);
    }

    /// <summary>Alt-Backspace (backward-kill-word).</summary>
    public void BackwardKillWord() => Kill(WordStartBefore(_line.Cursor), _line.Cursor, backward: true);

    /// <summary>Alt-d (kill-word).</summary>
    public void KillWord() => Kill(_line.Cursor, WordEndAfter(_line.Cursor), backward: false);

    /// <summary>Ctrl-Y (yank).</summary>
    public void Yank()
    {
        for (var i = _killedInFront.Count - 1; i >= 0; i--)
        {
            _line.Insert(_killedInFront[i]);
        }

        foreach (var piece in _killedBehind)
        {
            _line.Insert(piece);
        }
    }

    /// <summary>
    /// Ctrl-T (transpose-chars): the character before the cursor moves over the one at the cursor and the cursor moves on;
    /// at the end of the line the last two characters change places.
    /// </summary>
    public void TransposeChars()
    {
        if (_line.Cursor == 0 || _line.Length < 2)
        {
            return;
        }

        if (_line.Cursor == _line.Length)
        {
            _line.MoveTo(_line.Before(_line.Cursor));
        }

        var character = _line.Remove(_line.Before(_line.Cursor), _line.Cursor);
        _line.MoveTo(_line.After(_line.Cursor));
        _line.Insert(character);
    }

    private void Kill(int from, int to, bool backward)
    {
        if (to <= from)
        {
            _killing = _lastWasKill;
            return;
        }

        var text = _line.Remove(from, to);
        if (!_lastWasKill)
        {
            _killedInFront.Clear();
            _killedBehind.Clear();
        }

        (backward ? _killedInFront : _killedBehind).Add(text);
        _killing = true;
    }

    private int WordStartBefore(int position)
    {
        while (position > 0 && !char.IsLetterOrDigit(_line[position - 1]))
        {
            position--;
        }

        while (position > 0 && char.IsLetterOrDigit(_line[position - 1]))
        {
            position--;
        }

        return position;
    }

    private int WordEndAfter(int position)
    {
        while (position < _line.Length && !char.IsLetterOrDigit(_line[position]))
        {
            position++;
        }

        while (position < _line.Length && char.IsLetterOrDigit(_line[position]))
        {
            position++;
        }

        return position;
    }
}
