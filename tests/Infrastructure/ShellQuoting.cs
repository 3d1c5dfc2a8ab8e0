namespace HoopProxy.Tests.Infrastructure;

/// <summary>Quoting for command lines that a POSIX shell (bash -c, tmux panes, remote ssh commands) reads.</summary>
public static class ShellQuoting
{
    /// <summary><paramref name="value"/> as one single-quoted word.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Each argument quoted, separated by spaces.</summary>
    public static string Join(IEnumerable<string> arguments) => string.Join(' ', arguments.Select(Quote));
}
