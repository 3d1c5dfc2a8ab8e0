namespace HoopProxy.Ssh.Shell;

/// <summary>How a reconstructed line ended.</summary>
public enum TypedLineEnd
{
    /// <summary>Enter (or a newline inside a paste): the shell reads the line and runs it.</summary>
    Entered,

    /// <summary>Ctrl-C: the shell drops the line; it never runs.</summary>
    Cancelled,

    /// <summary>The channel closed before Enter; the line never ran.</summary>
    Unfinished,
}

/// <summary>
/// Why a reconstructed line may differ from what the shell ran. The reader follows line editing key by key, but some
/// keys act on state the proxy does not have (the file system for completion, the shell's history from earlier sessions).
/// </summary>
[Flags]
public enum Uncertainty
{
    None = 0,

    /// <summary>Tab: what the shell completed is not known.</summary>
    Completion = 1,

    /// <summary>Up/Down: followed in the lines this session entered, while the shell's history may differ (ignored duplicates, settings).</summary>
    History = 2,

    /// <summary>Up went past this session's first line, into the shell's history from earlier sessions.</summary>
    UnseenHistory = 4,

    /// <summary>Ctrl-R: searched in the lines this session entered, while the shell searched its whole history.</summary>
    HistorySearch = 8,

    /// <summary>A key or key sequence the reader does not follow (undo, Alt keys other than word motion, numeric arguments, macros).</summary>
    UnknownKey = 16,

    /// <summary>The line grew beyond the reader's limit; the rest was not kept.</summary>
    Truncated = 32,
}

/// <summary>
/// A command line reconstructed from a shell channel's input. <see cref="Text"/> is the line as the reader followed it,
/// even when it was typed at a password prompt (<see cref="AtPasswordPrompt"/>): the policy still judges it, the record
/// leaves it out.
/// </summary>
public sealed record TypedLine(string Text, TypedLineEnd End, Uncertainty Uncertainty)
{
    /// <summary>Typed while the terminal showed a password prompt and echoed nothing: probably a secret.</summary>
    public bool AtPasswordPrompt { get; init; }

    public static string Describe(Uncertainty uncertainty, int maxLineLength)
    {
        var reasons = new List<string>(2);
        if (uncertainty.HasFlag(Uncertainty.Completion))
        {
            reasons.Add("Tab completion: what the shell completed is not known");
        }

        if (uncertainty.HasFlag(Uncertainty.History))
        {
            reasons.Add("recalled from history: the proxy follows the lines of this session, the shell's history may differ");
        }

        if (uncertainty.HasFlag(Uncertainty.UnseenHistory))
        {
            reasons.Add("recalled from the shell's history before this session, which the proxy has not seen");
        }

        if (uncertainty.HasFlag(Uncertainty.HistorySearch))
        {
            reasons.Add("found by a reverse history search (Ctrl-R): the proxy searches the lines of this session only");
        }

        if (uncertainty.HasFlag(Uncertainty.UnknownKey))
        {
            reasons.Add("a key the proxy does not follow (undo, Alt keys, numeric arguments, terminal-specific sequences)");
        }

        if (uncertainty.HasFlag(Uncertainty.Truncated))
        {
            reasons.Add(FormattableString.Invariant($"longer than {maxLineLength} characters: only the first {maxLineLength} were kept"));
        }

        return string.Join("; ", reasons);
    }
}
