using System.Text;

namespace HoopProxy.Ssh.Shell;

/// <summary>What <see cref="KeystrokeDecoder"/> finds in a terminal's input, key by key.</summary>
internal interface IKeystrokeSink
{
    /// <summary>A run of printable ASCII characters, typed or <paramref name="pasted"/>.</summary>
    void Text(ReadOnlySpan<byte> ascii, bool pasted);

    /// <summary>One character: non-ASCII text, or (pasted) any character a paste carries, control characters included.</summary>
    void Text(Rune character, bool pasted);

    /// <summary>A control key typed: 0x00–0x1F (Ctrl-A is 1, Enter 0x0D) or DEL (0x7F, Backspace).</summary>
    void Control(byte code);

    /// <summary>ESC then a character (Alt-b, Alt-Backspace as ESC DEL).</summary>
    void Meta(Rune character);

    void Sequence(EscapeSequence sequence);

    /// <summary>Bytes that are no key the decoder knows: a cut-off or overlong sequence, a stray terminal string.</summary>
    void Unrecognised();
}

/// <summary>
/// Splits a terminal's input bytes into keys: UTF-8 characters (invalid bytes become U+FFFD), control keys, Alt keys
/// (<c>ESC x</c>), CSI and SS3 key sequences, and bracketed pastes (<c>ESC[200~ … ESC[201~</c>, whose content is text
/// whatever it holds). A character or a sequence split across messages is completed by the next one; nothing is
/// buffered beyond one sequence (at most <see cref="MaxSequenceLength"/> bytes are examined). Terminal strings
/// (OSC <c>ESC ]</c>, DCS <c>ESC P</c>: answers to colour or capability queries) are skipped up to
/// <see cref="MaxStringLength"/> bytes.
/// </summary>
internal sealed class KeystrokeDecoder(IKeystrokeSink sink)
{
    public const int MaxSequenceLength = 32;
    public const int MaxStringLength = 1024;

    private const byte Esc = 0x1B;

    private enum State : byte
    {
        Ground,
        Escape,
        Csi,
        Ss3,
        TerminalString,
        TerminalStringEscape,
    }

    private State _state;

    // A UTF-8 character begun but not finished.
    private int _utf8Value;
    private int _utf8Remaining;
    private int _utf8Minimum;

    // The sequence being read: its bytes (a paste gives them back as text), parameters and markers.
    private readonly byte[] _raw = new byte[MaxSequenceLength];
    private int _rawLength;
    private bool _altPrefix;
    private byte _private;
    private byte _intermediate;
    private int _parameterIndex;
    private readonly int[] _parameters = new int[2];
    private int _stringLength;

    /// <summary>Inside a bracketed paste.</summary>
    public bool Pasting { get; private set; }

    public void Read(ReadOnlySpan<byte> input)
    {
        var i = 0;
        while (i < input.Length)
        {
            if (_state == State.Ground && _utf8Remaining == 0)
            {
                // The common case, typing and bulk pastes: printable ASCII in one piece.
                var rest = input[i..];
                var run = rest.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
                if (run != 0)
                {
                    run = run < 0 ? rest.Length : run;
                    sink.Text(rest[..run], Pasting);
                    i += run;
                    continue;
                }
            }

            Step(input[i++]);
        }
    }

    private void Step(byte b)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Ground:
                    Ground(b);
                    return;
                case State.Escape:
                    if (Escape(b))
                    {
                        return;
                    }

                    break;
                case State.Csi:
                    if (Csi(b))
                    {
                        return;
                    }

                    break;
                case State.Ss3:
                    if (b is >= 0x40 and <= 0x7E)
                    {
                        Complete(new EscapeSequence(false, b, 0, 0, -1, -1, _altPrefix));
                        return;
                    }

                    Abandon();
                    break;
                case State.TerminalString:
                    if (b == 0x07)
                    {
                        _state = State.Ground;
                        return;
                    }

                    if (b == Esc)
                    {
                        _state = State.TerminalStringEscape;
                        return;
                    }

                    if (b < 0x20 || ++_stringLength > MaxStringLength)
                    {
                        // Not a terminal's answer after all (those end with BEL or ESC \): what follows is keys again.
                        sink.Unrecognised();
                        _state = State.Ground;
                        break;
                    }

                    return;
                case State.TerminalStringEscape:
                    _state = State.Ground;
                    if (b == '\\')
                    {
                        return;
                    }

                    BeginEscape();
                    break;
            }
        }
    }

    private void Ground(byte b)
    {
        if (_utf8Remaining > 0)
        {
            if ((b & 0xC0) == 0x80)
            {
                _utf8Value = (_utf8Value << 6) | (b & 0x3F);
                if (--_utf8Remaining == 0)
                {
                    var valid = _utf8Value >= _utf8Minimum && Rune.IsValid(_utf8Value);
                    sink.Text(valid ? new Rune(_utf8Value) : Rune.ReplacementChar, Pasting);
                }

                return;
            }

            _utf8Remaining = 0;
            sink.Text(Rune.ReplacementChar, Pasting);
        }

        switch (b)
        {
            case Esc:
                BeginEscape();
                return;
            case < 0x20 or 0x7F:
                if (Pasting)
                {
                    sink.Text(new Rune(b), pasted: true);
                }
                else
                {
                    sink.Control(b);
                }

                return;
            case < 0x80:
                sink.Text(new Rune(b), Pasting);
                return;
            case >= 0xC2 and <= 0xDF:
                BeginUtf8(b & 0x1F, 1, 0x80);
                return;
            case >= 0xE0 and <= 0xEF:
                BeginUtf8(b & 0x0F, 2, 0x800);
                return;
            case >= 0xF0 and <= 0xF4:
                BeginUtf8(b & 0x07, 3, 0x10000);
                return;
            default:
                sink.Text(Rune.ReplacementChar, Pasting);
                return;
        }
    }

    private void BeginUtf8(int value, int remaining, int minimum)
    {
        _utf8Value = value;
        _utf8Remaining = remaining;
        _utf8Minimum = minimum;
    }

    private void BeginEscape()
    {
        _state = State.Escape;
        _rawLength = 0;
        _altPrefix = false;
        Keep(Esc);
    }

    /// <summary>The byte after ESC; false when it must be read again in the state it led to.</summary>
    private bool Escape(byte b)
    {
        Keep(b);
        if (b == '[')
        {
            _state = State.Csi;
            _private = 0;
            _intermediate = 0;
            _parameterIndex = 0;
            _parameters[0] = _parameters[1] = -1;
            return true;
        }

        if (Pasting)
        {
            // Inside a paste only the paste's end is a sequence; an ESC is pasted text like any other character.
            _rawLength--;
            GiveBackAsText();
            return false;
        }

        switch (b)
        {
            case (byte)'O':
                _state = State.Ss3;
                return true;
            case Esc when !_altPrefix:
                _altPrefix = true;
                return true;
            case (byte)']' or (byte)'P':
                _state = State.TerminalString;
                _stringLength = 0;
                return true;
            case < 0x80:
                _state = State.Ground;
                if (_altPrefix)
                {
                    sink.Unrecognised();
                }

                sink.Meta(new Rune(b));
                return true;
            default:
                // Alt with a non-ASCII character: readline has no such binding.
                _state = State.Ground;
                sink.Unrecognised();
                return false;
        }
    }

    private bool Csi(byte b)
    {
        switch (b)
        {
            case >= (byte)'0' and <= (byte)'9':
                Keep(b);
                if (_parameterIndex < _parameters.Length)
                {
                    var value = Math.Max(_parameters[_parameterIndex], 0);
                    _parameters[_parameterIndex] = Math.Min(value * 10 + (b - '0'), 100_000);
                }

                return true;
            case (byte)';' or (byte)':':
                Keep(b);
                _parameterIndex++;
                return true;
            case >= 0x3C and <= 0x3F:
                Keep(b);
                if (_parameterIndex == 0 && _parameters[0] < 0)
                {
                    _private = b;
                }

                return true;
            case >= 0x20 and <= 0x2F:
                Keep(b);
                _intermediate = b;
                return true;
            case >= 0x40 and <= 0x7E:
                Keep(b);
                Complete(new EscapeSequence(true, b, _private, _intermediate, _parameters[0], _parameters[1], _altPrefix));
                return true;
            default:
                Abandon();
                return false;
        }
    }

    private void Complete(EscapeSequence sequence)
    {
        _state = State.Ground;
        var overlong = _rawLength > MaxSequenceLength;
        if (sequence is { Csi: true, Final: (byte)'~', Private: 0, Second: -1 } && sequence.First is 200 or 201)
        {
            Pasting = sequence.First == 200;
        }
        else if (Pasting)
        {
            GiveBackAsText();
        }
        else if (overlong)
        {
            sink.Unrecognised();
        }
        else
        {
            sink.Sequence(sequence);
        }
    }

    /// <summary>A byte that cannot continue the sequence: the sequence was cut off; the byte is read afresh.</summary>
    private void Abandon()
    {
        _state = State.Ground;
        if (Pasting)
        {
            GiveBackAsText();
        }
        else
        {
            sink.Unrecognised();
        }
    }

    /// <summary>Inside a paste, the bytes read as a possible sequence are pasted text after all.</summary>
    private void GiveBackAsText()
    {
        _state = State.Ground;
        foreach (var b in _raw.AsSpan(0, Math.Min(_rawLength, MaxSequenceLength)))
        {
            sink.Text(new Rune(b), pasted: true);
        }
    }

    private void Keep(byte b)
    {
        if (_rawLength < MaxSequenceLength)
        {
            _raw[_rawLength] = b;
        }

        // Counted one past the limit at most: an overlong sequence is read to its end without being kept.
        _rawLength = Math.Min(_rawLength + 1, MaxSequenceLength + 1);
    }
}
