namespace HoopProxy.Ssh.Shell;

/// <summary>
/// Reads what the target's terminal output does to the screen, as far as the line reader needs it: whether a
/// full-screen program has switched to the alternate screen (<c>CSI ? 1049 h</c> … <c>l</c>, and the older 47 and 1047:
/// vim, less, top, tmux), and the text on the cursor's row — enough to see a password prompt
/// (<c>[sudo] password for alice: </c>). Text and ordinary CSI sequences (colours, cursor motion) are passed over with
/// vectorised searches, so bulk output costs little; only the last <see cref="KeptOutput"/> bytes are kept, and the
/// prompt row is read from them when a line begins.
/// </summary>
internal sealed class TerminalOutputScanner
{
    /// <summary>Enough for a prompt row with colours and a window title.</summary>
    public const int KeptOutput = 256;

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

    private readonly byte[] _kept = new byte[KeptOutput];
    private int _keptLength;

    public bool AlternateScreen { get; private set; }

    public void Read(ReadOnlySpan<byte> output)
    {
        Keep(output);
        var i = 0;
        while (i < output.Length)
        {
            switch (_state)
            {
                case State.Ground:
                    var escape = output[i..].IndexOf(Esc);
                    if (escape < 0)
                    {
                        return;
                    }

                    i += escape + 1;
                    _state = State.Escape;
                    continue;
                case State.Escape when output[i] == '[' && i + 1 < output.Length && output[i + 1] != '?':
                    // The usual sequence (colour, cursor motion) at once: parameters and intermediates, then the final byte.
                    // Sequences are a few bytes long: a plain loop beats a vectorised search here.
                    var end = i + 1;
                    while (end < output.Length && output[end] is >= 0x20 and <= 0x3F)
                    {
                        end++;
                    }

                    if (end < output.Length && output[end] is >= 0x40 and <= 0x7E)
                    {
                        i = end + 1;
                        _state = State.Ground;
                        continue;
                    }

                    break;
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
        Span<byte> row = stackalloc byte[KeptOutput];
        row = row[..CursorRow(row)].TrimEnd((byte)' ');
        if (row.IsEmpty || row[^1] != ':')
        {
            return false;
        }

        for (var i = 0; i < row.Length; i++)
        {
            row[i] = row[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(row[i] | 0x20) : row[i];
        }

        return row.IndexOf("password"u8) >= 0 || row.IndexOf("passphrase"u8) >= 0 || row.IndexOf("passcode"u8) >= 0;
    }

    /// <summary>The text after the last line break of the kept output, without escape sequences and terminal strings.</summary>
    private int CursorRow(Span<byte> row)
    {
        var kept = _kept.AsSpan(0, _keptLength);
        kept = kept[(kept.LastIndexOfAny((byte)'\n', (byte)'\r') + 1)..];
        var length = 0;
        var i = 0;
        while (i < kept.Length)
        {
            var b = kept[i++];
            if (b != Esc)
            {
                if (b >= 0x20)
                {
                    row[length++] = b;
                }

                continue;
            }

            if (i < kept.Length && kept[i] == '[')
            {
                var end = kept[(i + 1)..].IndexOfAnyInRange((byte)0x40, (byte)0x7E);
                i = end < 0 ? kept.Length : i + end + 2;
            }
            else if (i < kept.Length && kept[i] is (byte)']' or (byte)'P')
            {
                var end = kept[i..].IndexOfAny((byte)0x07, Esc);
                i = end < 0 ? kept.Length : i + end + (kept[i + end] == Esc ? 2 : 1);
            }
            else
            {
                i++;
            }
        }

        return length;
    }

    private void Keep(ReadOnlySpan<byte> output)
    {
        if (output.Length >= KeptOutput)
        {
            output[^KeptOutput..].CopyTo(_kept);
            _keptLength = KeptOutput;
            return;
        }

        var keep = Math.Min(_keptLength, KeptOutput - output.Length);
        _kept.AsSpan(_keptLength - keep, keep).CopyTo(_kept);
        output.CopyTo(_kept.AsSpan(keep));
        _keptLength = keep + output.Length;
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
                if (b is 0x07 or 0x18 or 0x1A)
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
}
