using HoopProxy.Ssh.Policy;

namespace HoopProxy.Ssh.Shell;

/// <summary>
/// Joins the lines of one command that the shell reads as one: a line ending in a backslash continues on the next
/// (the backslash and newline vanish, as in the shell), and a line with an open quote continues with a newline. A rule
/// then sees <c>rm -rf \</c> + <c>/</c> as <c>rm -rf /</c>. At most <see cref="MaxLines"/> lines are joined, so each
/// line is judged with a bounded amount of what came before.
/// </summary>
internal sealed class ContinuedCommand
{
    public const int MaxLines = 8;

    private string _pending = "";
    private int _lines;

    /// <summary>The command so far, this line included.</summary>
    public string Add(string line)
    {
        var command = _pending.Length == 0 ? line : _pending + line;
        if (++_lines >= MaxLines)
        {
            Reset();
        }
        else if (EndsWithBackslash(command))
        {
            _pending = command[..^1];
        }
        else if (ShellCommandLine.Programs(command) is null)
        {
            _pending = command + "\n";
        }
        else
        {
            Reset();
        }

        return command;
    }

    public void Reset()
    {
        _pending = "";
        _lines = 0;
    }

    /// <summary>An odd number of backslashes at the end: the last one escapes the newline.</summary>
    private static bool EndsWithBackslash(string command)
    {
        var count = 0;
        for (var i = command.Length - 1; i >= 0 && command[i] == '\\'; i--)
        {
            count++;
        }

        return count % 2 == 1;
    }
}
