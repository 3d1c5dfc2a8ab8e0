using System.Text;

namespace HoopProxy.Ssh.Shell;

/// <summary>
/// Reconstructs the command lines typed into an interactive shell from the keystrokes, as readline in emacs mode (bash's
/// default) would edit them: text inserts at the cursor; Backspace, Delete, Ctrl-D, Ctrl-U/K/W/Y/T, Alt-b/f/d/Backspace,
/// Ctrl-A/E/B/F, Home/End and the arrows (with Ctrl or Alt: by word) edit; Enter ends the line (CR LF once); Ctrl-C
/// cancels it; a bracketed paste inserts its text literally, each newline in it ending a line. Up/Down and Ctrl-R are
/// followed in this session's own lines; Tab completion is not followed. Lines that depend on what the proxy cannot see
/// say so (<see cref="Uncertainty"/>). The target's output is read for two things: a full-screen program on the
/// alternate screen (vim, less, top), whose keystrokes are no command lines and are skipped, and a password prompt with
/// echo off, whose line is marked <see cref="TypedLine.AtPasswordPrompt"/>.
/// </summary>
/// <remarks>
/// Costs: O(1) per typed or pasted character; a key that moves the cursor or recalls a line costs at most the line's
/// length (capped at <c>maxLineLength</c>), and a reverse-search key at most the history's size. Memory: one line, the
/// kill ring, and the history (1000 entries, at most 64 Ki characters).
/// </remarks>
internal sealed class TypedLineReader : ILineReader, IKeystrokeSink
{
    public const int DefaultMaxLineLength = 64 * 1024;
    public const int MaxHistoryEntries = 1000;
    public const int MaxHistoryCharacters = 64 * 1024;
    private const int MaxSearchLength = 256;

    private enum Pending : byte
    {
        None,

        /// <summary>Ctrl-V (or Insert, quoted-insert in Debian's inputrc): the next key is inserted as it is.</summary>
        QuotedInsert,

        /// <summary>Ctrl-X: the next key completes a two-key command.</summary>
        CtrlX,
    }

    private readonly KeystrokeDecoder _decoder;
    private readonly LineEditor _editor;
    private readonly LineHistory _history = new(MaxHistoryEntries, MaxHistoryCharacters);
    private readonly TerminalOutputScanner _screen = new();
    private List<TypedLine> _lines = [];

    // The line being typed.
    private Uncertainty _uncertainty;
    private bool _started;
    private bool _atSecretPrompt;
    private bool _echoed;
    private bool _afterCarriageReturn;
    private Pending _pending;

    // Up/Down: the history entry shown (Count: the new line), how far past the oldest entry the shell may have gone,
    // and the new line as it was when Up was first pressed.
    private int _historyPosition;
    private int _pastOldest;
    private string _draft = "";
    private Uncertainty _draftUncertainty;

    // Ctrl-R: the search text and the entry it found (-1: none yet).
    private bool _searching;
    private readonly StringBuilder _searchText = new();
    private string _lastSearch = "";
    private int _searchMatch;
    private bool _searchFailed;

    public TypedLineReader(int maxLineLength = DefaultMaxLineLength)
    {
        _decoder = new KeystrokeDecoder(this);
        _editor = new LineEditor(maxLineLength);
    }

    /// <summary>A full-screen program has the terminal: keystrokes are not read as command lines.</summary>
    public bool Suspended => _screen.AlternateScreen;

    public void ReadInput(ReadOnlySpan<byte> input, List<TypedLine> lines)
    {
        _lines = lines;
        _decoder.Read(input);
    }

    public void ReadOutput(ReadOnlySpan<byte> output)
    {
        if (output.IsEmpty)
        {
            return;
        }

        var wasSuspended = Suspended;
        _screen.Read(output);
        _echoed |= _started;
        if (Suspended != wasSuspended)
        {
            // A full-screen program started or ended: what was typed meanwhile went to it, and the shell starts a fresh line.
            ResetLine();
        }
    }

    public void Finish(List<TypedLine> lines)
    {
        _lines = lines;
        if (!Suspended)
        {
            Emit(TypedLineEnd.Unfinished);
        }
    }

    void IKeystrokeSink.Text(ReadOnlySpan<byte> ascii, bool pasted)
    {
        if (Suspended)
        {
            return;
        }

        if (_searching || _pending != Pending.None)
        {
            foreach (var b in ascii)
            {
                Character(new Rune(b), pasted);
            }

            return;
        }

        Begin();
        _editor.InsertAscii(ascii);
    }

    void IKeystrokeSink.Text(Rune character, bool pasted)
    {
        if (!Suspended)
        {
            Character(character, pasted);
        }
    }

    void IKeystrokeSink.Control(byte code)
    {
        if (Suspended)
        {
            return;
        }

        if (code is (byte)'\r' or (byte)'\n')
        {
            NewLine(code == '\r', pasted: false);
            return;
        }

        Begin();
        switch (TakePending())
        {
            case Pending.QuotedInsert:
                _editor.Insert(new Rune(code));
                return;
            case Pending.CtrlX:
                CtrlX(code);
                return;
        }

        if (_searching && SearchKey(code))
        {
            return;
        }

        switch (code)
        {
            case 0x01: // Ctrl-A
                _editor.BeginningOfLine();
                break;
            case 0x02: // Ctrl-B
                _editor.BackwardChar();
                break;
            case 0x03: // Ctrl-C: readline drops the line (SIGINT)
                Emit(TypedLineEnd.Cancelled);
                break;
            case 0x04: // Ctrl-D: on an empty line the end of input (the shell exits), else delete-char
                if (_editor.Length == 0)
                {
                    ResetLine();
                }
                else
                {
                    _editor.DeleteChar();
                }

                break;
            case 0x05: // Ctrl-E
                _editor.EndOfLine();
                break;
            case 0x06: // Ctrl-F
                _editor.ForwardChar();
                break;
            case 0x07: // Ctrl-G: abort, nothing to abort outside a search
            case 0x0C: // Ctrl-L: clear-screen
            case 0x11: // Ctrl-Q and Ctrl-S: flow control, taken by the target's terminal driver (ixon) before the shell sees them
            case 0x13:
            case 0x1A: // Ctrl-Z: the shell ignores it at its prompt
                break;
            case 0x08: // Ctrl-H
            case 0x7F: // Backspace
                _editor.BackwardDeleteChar();
                break;
            case 0x09: // Tab
                _uncertainty |= Uncertainty.Completion;
                break;
            case 0x0B: // Ctrl-K
                _editor.KillToEnd();
                break;
            case 0x0E: // Ctrl-N
                HistoryNewer();
                break;
            case 0x0F: // Ctrl-O: operate-and-get-next
                OperateAndGetNext();
                break;
            case 0x10: // Ctrl-P
                HistoryOlder();
                break;
            case 0x12: // Ctrl-R
                StartSearch();
                break;
            case 0x14: // Ctrl-T
                _editor.TransposeChars();
                break;
            case 0x15: // Ctrl-U
                _editor.KillToStart();
                break;
            case 0x16: // Ctrl-V
                _pending = Pending.QuotedInsert;
                break;
            case 0x17: // Ctrl-W
                _editor.UnixWordRubout();
                break;
            case 0x18: // Ctrl-X
                _pending = Pending.CtrlX;
                break;
            case 0x19: // Ctrl-Y
                _editor.Yank();
                break;
            default: // Ctrl-@ (set-mark), Ctrl-] (character-search), Ctrl-_ (undo), Ctrl-\
                _uncertainty |= Uncertainty.UnknownKey;
                break;
        }
    }

    void IKeystrokeSink.Meta(Rune character)
    {
        if (Suspended)
        {
            return;
        }

        Begin();
        switch (TakePending())
        {
            case Pending.QuotedInsert:
                // Quoted insert takes the ESC alone; the character after it is typed as usual.
                _editor.Insert(new Rune(0x1B));
                Character(character, pasted: false);
                return;
            case Pending.CtrlX:
                _uncertainty |= Uncertainty.UnknownKey;
                return;
        }

        if (_searching)
        {
            AcceptSearch();
        }

        switch (character.Value)
        {
            case 'b' or 'B':
                _editor.BackwardWord();
                break;
            case 'f' or 'F':
                _editor.ForwardWord();
                break;
            case 'd' or 'D':
                _editor.KillWord();
                break;
            case 0x7F or 0x08:
                _editor.BackwardKillWord();
                break;
            case '#':
                // insert-comment: the line is commented out and entered, so the shell keeps it in its history only.
                _editor.BeginningOfLine();
                _editor.Insert("#");
                Emit(TypedLineEnd.Entered);
                break;
            default:
                _uncertainty |= Uncertainty.UnknownKey;
                break;
        }
    }

    void IKeystrokeSink.Sequence(EscapeSequence sequence)
    {
        if (Suspended || sequence.IsTerminalReport)
        {
            return;
        }

        Begin();
        if (TakePending() != Pending.None)
        {
            _uncertainty |= Uncertainty.UnknownKey;
            return;
        }

        if (_searching)
        {
            AcceptSearch();
        }

        switch ((char)sequence.Final)
        {
            case 'A' when !sequence.Modified:
                HistoryOlder();
                break;
            case 'B' when !sequence.Modified:
                HistoryNewer();
                break;
            case 'C' when sequence.WithCtrlOrAlt:
                _editor.ForwardWord();
                break;
            case 'C' when !sequence.Modified:
                _editor.ForwardChar();
                break;
            case 'D' when sequence.WithCtrlOrAlt:
                _editor.BackwardWord();
                break;
            case 'D' when !sequence.Modified:
                _editor.BackwardChar();
                break;
            case 'H' when !sequence.Modified:
                _editor.BeginningOfLine();
                break;
            case 'F' when !sequence.Modified:
                _editor.EndOfLine();
                break;
            case '~' when sequence.Csi && !sequence.Modified:
                NumberedKey(sequence.First);
                break;
            default:
                _uncertainty |= Uncertainty.UnknownKey;
                break;
        }
    }

    void IKeystrokeSink.Unrecognised()
    {
        if (!Suspended)
        {
            Begin();
            _uncertainty |= Uncertainty.UnknownKey;
        }
    }

    /// <summary>Keys of the form <c>ESC [ n ~</c> (xterm, tmux and Debian's inputrc).</summary>
    private void NumberedKey(int number)
    {
        switch (number)
        {
            case 1 or 7:
                _editor.BeginningOfLine();
                break;
            case 4 or 8:
                _editor.EndOfLine();
                break;
            case 3:
                _editor.DeleteChar();
                break;
            case 2:
                _pending = Pending.QuotedInsert;
                break;
            default: // Page Up/Down, function keys: not bound by default, but often bound by users
                _uncertainty |= Uncertainty.UnknownKey;
                break;
        }
    }

    private void Character(Rune character, bool pasted)
    {
        if (pasted && character.Value is '\r' or '\n')
        {
            NewLine(character.Value == '\r', pasted: true);
            return;
        }

        Begin();
        switch (TakePending())
        {
            case Pending.CtrlX:
                _uncertainty |= Uncertainty.UnknownKey;
                return;
            case Pending.None when _searching && !pasted:
                SearchAppend(character);
                return;
            case Pending.None when _searching:
                AcceptSearch();
                break;
        }

        _editor.Insert(character);
    }

    private void NewLine(bool carriageReturn, bool pasted)
    {
        if (!carriageReturn && _afterCarriageReturn)
        {
            // CR LF is one Enter.
            _afterCarriageReturn = false;
            return;
        }

        Begin();
        if (TakePending() == Pending.QuotedInsert && !pasted)
        {
            _editor.Insert(new Rune(carriageReturn ? '\r' : '\n'));
            return;
        }

        if (_searching)
        {
            AcceptSearch();
        }

        Emit(TypedLineEnd.Entered);
        _afterCarriageReturn = carriageReturn;
    }

    private void CtrlX(byte code)
    {
        if (code == 0x05)
        {
            // Ctrl-X Ctrl-E (edit-and-execute-command): the shell runs what the editor saves, which starts as this line.
            _uncertainty |= Uncertainty.UnknownKey;
            Emit(TypedLineEnd.Entered);
        }
        else if (code != 0x07)
        {
            _uncertainty |= Uncertainty.UnknownKey;
        }
    }

    /// <summary>Every key: a new line begins with its first key, which also notes whether the prompt asks for a secret.</summary>
    private void Begin()
    {
        _afterCarriageReturn = false;
        _editor.BeginCommand();
        if (!_started)
        {
            _started = true;
            _atSecretPrompt = _screen.PromptAsksForSecret();
            _echoed = false;
        }
    }

    private Pending TakePending()
    {
        var pending = _pending;
        _pending = Pending.None;
        return pending;
    }

    private void Emit(TypedLineEnd end)
    {
        var text = _editor.Text;
        var uncertainty = _uncertainty | (_editor.Truncated ? Uncertainty.Truncated : Uncertainty.None);
        // A password prompt that echoed nothing while the line was typed; at a shell prompt the echo comes back.
        var secret = _atSecretPrompt && !_echoed;
        if (text.Length > 0 || (end == TypedLineEnd.Entered && uncertainty != Uncertainty.None))
        {
            _lines.Add(new TypedLine(text, end, uncertainty) { AtPasswordPrompt = secret });
        }

        if (end == TypedLineEnd.Entered && !secret)
        {
            _history.Add(text);
        }

        ResetLine();
    }

    private void ResetLine()
    {
        _editor.Clear();
        _uncertainty = Uncertainty.None;
        _started = false;
        _pending = Pending.None;
        _searching = false;
        _historyPosition = _history.Count;
        _pastOldest = 0;
        _draft = "";
        _draftUncertainty = Uncertainty.None;
    }

    private void HistoryOlder()
    {
        if (_historyPosition == _history.Count && _pastOldest == 0)
        {
            SaveDraft();
        }

        if (_pastOldest == 0 && _historyPosition > 0)
        {
            Load(--_historyPosition, Uncertainty.History);
        }
        else
        {
            // Older than anything this session entered: the shell shows a line from its history file.
            _pastOldest++;
            _editor.Clear();
            _uncertainty = Uncertainty.UnseenHistory;
        }
    }

    private void HistoryNewer()
    {
        if (_pastOldest > 0)
        {
            if (--_pastOldest > 0)
            {
                return;
            }
        }
        else if (_historyPosition < _history.Count)
        {
            _historyPosition++;
        }
        else
        {
            return;
        }

        if (_historyPosition < _history.Count)
        {
            Load(_historyPosition, Uncertainty.History);
        }
        else
        {
            _editor.Set(_draft);
            _uncertainty = _draftUncertainty;
        }
    }

    private void SaveDraft()
    {
        _draft = _editor.Text;
        _draftUncertainty = _uncertainty | (_editor.Truncated ? Uncertainty.Truncated : Uncertainty.None);
    }

    private void Load(int entry, Uncertainty how)
    {
        _editor.Set(_history[entry]);
        _uncertainty = how;
    }

    /// <summary>Ctrl-O: the line runs and the history entry after the one it was recalled from is the next line.</summary>
    private void OperateAndGetNext()
    {
        var next = _pastOldest == 0 && _historyPosition < _history.Count ? _historyPosition + 1 : -1;
        Emit(TypedLineEnd.Entered);
        if (next >= 0 && next < _history.Count)
        {
            _historyPosition = next;
            Load(next, Uncertainty.History);
        }
    }

    private void StartSearch()
    {
        if (_searching)
        {
            SearchOlder();
            return;
        }

        _searching = true;
        _searchText.Clear();
        _searchMatch = -1;
        _searchFailed = false;
    }

    /// <summary>A control key during Ctrl-R; false when it ends the search and then acts as usual.</summary>
    private bool SearchKey(byte code)
    {
        switch (code)
        {
            case 0x12: // Ctrl-R: the next older match
                SearchOlder();
                return true;
            case 0x7F or 0x08:
                if (_searchText.Length > 0)
                {
                    _searchText.Length -= _searchText.Length >= 2 && char.IsLowSurrogate(_searchText[^1]) ? 2 : 1;
                }

                _searchMatch = -1;
                _searchFailed = false;
                SearchFrom(_historyPosition - 1);
                return true;
            case 0x07: // Ctrl-G: back to the line as it was
                _searching = false;
                return true;
            case 0x13: // Ctrl-S: flow control
                return true;
            case 0x03:
                _searching = false;
                return false;
            default:
                AcceptSearch();
                return false;
        }
    }

    private void SearchOlder()
    {
        if (_searchText.Length == 0)
        {
            // Ctrl-R Ctrl-R searches for the previous search's text again.
            _searchText.Append(_lastSearch);
        }

        SearchFrom(_searchMatch >= 0 ? _searchMatch - 1 : _historyPosition - 1);
    }

    private void SearchAppend(Rune character)
    {
        if (_searchText.Length < MaxSearchLength)
        {
            Span<char> utf16 = stackalloc char[2];
            _searchText.Append(utf16[..character.EncodeToUtf16(utf16)]);
        }

        // A longer text than one that matched nothing matches nothing either.
        if (!_searchFailed)
        {
            SearchFrom(_searchMatch >= 0 ? _searchMatch : _historyPosition - 1);
        }
    }

    private void SearchFrom(int entry)
    {
        if (_searchText.Length == 0)
        {
            return;
        }

        var found = _history.SearchBackward(_searchText.ToString(), entry);
        if (found >= 0)
        {
            _searchMatch = found;
        }
        else
        {
            _searchFailed = true;
        }
    }

    /// <summary>Ends Ctrl-R with the line it found (or, found nothing here, the line as it was: the shell's history may have had a match).</summary>
    private void AcceptSearch()
    {
        _searching = false;
        _lastSearch = _searchText.ToString();
        if (_searchMatch >= 0)
        {
            if (_historyPosition == _history.Count && _pastOldest == 0)
            {
                SaveDraft();
            }

            _historyPosition = _searchMatch;
            _pastOldest = 0;
            Load(_searchMatch, Uncertainty.HistorySearch);
            _editor.MoveTo(Math.Max(0, _history[_searchMatch].LastIndexOf(_lastSearch, StringComparison.Ordinal)));
        }
        else
        {
            _uncertainty |= Uncertainty.HistorySearch;
        }
    }
}
