namespace HoopProxy.Ssh.Shell;

/// <summary>
/// Reads what the target's terminal output does to the screen, as far as the line reader needs it: whether a
/// full-screen program has switched to the alternate screen (<c>CSI ? 1049 h</c> … <c>l</c>, and the older 47 and 1047:
/// vim, less, top, tmux), and the text on the cursor's row so far — enough to see a password prompt
/// (<c>[sudo] password for alice: </c>). Escape sequences and terminal strings (window titles) are skipped; nothing is
/// kept beyond <see cref="TailLength"/> bytes, and the text between escape sequences is passed over with vectorised
/// searches, so bulk output costs little.
/// </summary>
internal sealed class TerminalOutputScanner
{
    public const int TailLength = 96;

    private const byte Esc = 0x1B;

    private enum State : byte
    {
        Ground,
        Escape,
        Csi,
        TerminalString,
        TerminalStringEscape,
    }

    private State _state;
    private bool _privateMode;
    private int _parameter;
    private bool _switchesScreen;

    private readonly byte[] _tail = new byte[TailLength];
    private int _tailLength;

    public bool AlternateScreen { get; private set; }

    public void Read(ReadOnlySpan<byte> output)
    {
        var i = 0;
        while (i < output.Length)
        {
            if (_state == State.Ground)
            {
                var rest = output[i..];
                var escape = rest.IndexOf(Esc);
                var text = escape < 0 ? rest : rest[..escape];
                KeepTail(text);
                i += text.Length + (escape < 0 ? 0 : 1);
                if (escape >= 0)
                {
                    _state = State.Escape;
                }

                continue;
            }

            Step(output[i++]);
        }
    }

    /// <summary>
    /// The row the cursor is on ends in what looks like a prompt for a secret: it contains "password", "passphrase"
    /// or "passcode" (any case) and ends with a colon and maybe spaces.
    /// </summary>
    public bool PromptAsksForSecret()
    {
        var row = _tail.AsSpan(0, _tailLength).TrimEnd((byte)' ');
        if (row.IsEmpty || row[^1] != ':')
        {
            return false;
        }

        Span<byte> lower = stackalloc byte[TailLength];
        for (var i = 0; i < row.Length; i++)
        {
            lower[i] = row[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(row[i] | 0x20) : row[i];
        }

        lower = lower[..row.Length];
        return lower.IndexOf("password"u8) >= 0 || lower.IndexOf("passphrase"u8) >= 0 || lower.IndexOf("passcode"u8) >= 0;
    }

    private void Step(byte b)
    {
        switch (_state)
        {
            case State.Escape:
                _state = State.Ground;
                switch (b)
                {
                    case (byte)'[':
                        _state = State.Csi;
                        _privateMode = false;
                        _parameter = 0;
                        _switchesScreen = false;
                        break;
                    case (byte)']' or (byte)'P' or (byte)'_' or (byte)'^' or (byte)'X':
                        _state = State.TerminalString;
                        break;
                    case (byte)'c':
                        // RIS, a full reset (what `reset` sends): back on the normal screen.
                        AlternateScreen = false;
                        break;
                    case Esc:
                        _state = State.Escape;
                        break;
                }

                break;
            case State.Csi:
                switch (b)
                {
                    case (byte)'?':
                        _privateMode = true;
                        break;
                    case >= (byte)'0' and <= (byte)'9':
                        _parameter = Math.Min(_parameter * 10 + (b - '0'), 100_000);
                        break;
                    case (byte)';':
                        EndParameter();
                        break;
                    case >= 0x40 and <= 0x7E:
                        EndParameter();
                        _state = State.Ground;
                        if (_privateMode && _switchesScreen && b is (byte)'h' or (byte)'l')
                        {
                            AlternateScreen = b == 'h';
                        }

                        break;
                    case Esc:
                        _state = State.Escape;
                        break;
                    case 0x18 or 0x1A:
                        // CAN and SUB cancel a sequence.
                        _state = State.Ground;
                        break;
                }

                break;
            case State.TerminalString:
                if (b == 0x07 || b is 0x18 or 0x1A)
                {
                    _state = State.Ground;
                }
                else if (b == Esc)
                {
                    _state = State.TerminalStringEscape;
                }

                break;
            case State.TerminalStringEscape:
                _state = State.Ground;
                if (b != '\\')
                {
                    _state = State.Escape;
                    Step(b);
                }

                break;
        }
    }

    private void EndParameter()
    {
        _switchesScreen |= _parameter is 47 or 1047 or 1049;
        _parameter = 0;
    }

    /// <summary>Keeps the last <see cref="TailLength"/> bytes of text since the last line break.</summary>
    private void KeepTail(ReadOnlySpan<byte> text)
    {
        var lineBreak = text.LastIndexOfAny((byte)'\n', (byte)'\r');
        if (lineBreak >= 0)
        {
            _tailLength = 0;
            text = text[(lineBreak + 1)..];
        }

        if (text.Length >= TailLength)
        {
            text[^TailLength..].CopyTo(_tail);
            _tailLength = TailLength;
            return;
        }

        var keep = Math.Min(_tailLength, TailLength - text.Length);
        _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
        text.CopyTo(_tail.AsSpan(keep));
        _tailLength = keep + text.Length;
    }
}
