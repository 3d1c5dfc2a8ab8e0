namespace HoopProxy.Ssh.Shell;

/// <summary>
/// A key sent as an escape sequence: CSI (<c>ESC [</c> parameters final, e.g. <c>ESC[D</c>, <c>ESC[1;5D</c>,
/// <c>ESC[3~</c>) or SS3 (<c>ESC O</c> final, e.g. <c>ESC O D</c> in application cursor mode).
/// </summary>
/// <param name="Csi">CSI (true) or SS3 (false).</param>
/// <param name="Final">The final byte: <c>A</c>–<c>D</c> arrows, <c>H</c>/<c>F</c> Home/End, <c>~</c> numbered keys.</param>
/// <param name="Private">A private marker before the parameters (<c>?</c>, <c>&gt;</c>, <c>&lt;</c>, <c>=</c>), or 0.</param>
/// <param name="Intermediate">The last intermediate byte (<c>$</c>, space …), or 0.</param>
/// <param name="First">The first numeric parameter, -1 when absent.</param>
/// <param name="Second">The second numeric parameter (xterm's modifier: 1 + shift 1, alt 2, ctrl 4), -1 when absent.</param>
/// <param name="AltPrefix">Preceded by another ESC (Alt with an arrow key in some terminals: <c>ESC ESC [ C</c>).</param>
internal readonly record struct EscapeSequence(bool Csi, byte Final, byte Private, byte Intermediate, int First, int Second, bool AltPrefix)
{
    /// <summary>With Ctrl or Alt: <c>ESC[1;5C</c>, <c>ESC[1;3C</c>, Debian's <c>ESC[5C</c>, or <c>ESC ESC [ C</c>.</summary>
    public bool WithCtrlOrAlt => AltPrefix || (Second > 1 && ((Second - 1) & 6) != 0) || (Second < 0 && First == 5);

    public bool Modified => AltPrefix || Second > 1 || (Final != '~' && First > 1);

    /// <summary>
    /// The terminal answering a query rather than a key: a cursor position (<c>CSI row;col R</c>), device attributes
    /// (<c>CSI ? … c</c>, <c>CSI &gt; … c</c>), a status (<c>CSI … n</c>), a window report (<c>CSI … t</c>), a mode report
    /// (<c>CSI ? … $ y</c>), focus in and out (<c>CSI I</c>, <c>CSI O</c>). They do not touch the line.
    /// </summary>
    public bool IsTerminalReport => Csi && (Final is (byte)'R' or (byte)'n' or (byte)'t' or (byte)'I' or (byte)'O'
        || (Final == 'c' && Private != 0) || (Final == 'y' && Intermediate == '$'));
}
