namespace HoopProxy.Ssh.Policy;

/// <summary>
/// The programs a POSIX shell command line runs, as far as a policy needs them: each simple command's first word after
/// variable assignments and the wrappers that run another program (<c>sudo</c>, <c>env</c>, <c>nohup</c>, <c>exec</c>,
/// <c>command</c>, <c>time</c>, <c>nice</c>, <c>timeout</c>), without its directory (<c>/bin/rm</c> is <c>rm</c>).
/// Commands are separated by <c>; &amp; | &amp;&amp; || ( )</c>, newlines and the start of <c>$( … )</c> or backticks.
/// Quotes and backslashes are followed. Null when the line cannot be read (an unterminated quote): the caller fails
/// closed. Best effort by design: a program started through <c>sh -c "…"</c> or <c>eval</c> is seen as <c>sh</c> or
/// <c>eval</c> — rules that must catch those name them too.
/// </summary>
public static class ShellCommandLine
{
    private static readonly HashSet<string> Wrappers = new(StringComparer.Ordinal) { "sudo", "env", "nohup", "exec", "command", "time", "nice", "timeout" };

    public static IReadOnlyList<string>? Programs(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var programs = new List<string>();
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var inWord = false;

        void EndWord()
        {
            if (inWord)
            {
                words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }

        void EndCommand()
        {
            EndWord();
            if (FirstProgram(words) is { } program)
            {
                programs.Add(program);
            }

            words.Clear();
        }

        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            switch (c)
            {
                case '\\':
                    if (++i < line.Length && line[i] != '\n')
                    {
                        word.Append(line[i]);
                        inWord = true;
                    }

                    break;
                case '\'':
                    var close = line.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        return null;
                    }

                    word.Append(line, i + 1, close - i - 1);
                    inWord = true;
                    i = close;
                    break;
                case '"':
                    var end = i + 1;
                    while (end < line.Length && line[end] != '"')
                    {
                        end += line[end] == '\\' ? 2 : 1;
                    }

                    if (end >= line.Length)
                    {
                        return null;
                    }

                    word.Append(line, i + 1, end - i - 1);
                    inWord = true;
                    i = end;
                    break;
                case ' ' or '\t':
                    EndWord();
                    break;
                case ';' or '&' or '|' or '\n' or '(' or ')' or '`':
                    EndCommand();
                    break;
                case '$' when i + 1 < line.Length && line[i + 1] == '(':
                    EndCommand();
                    i++;
                    break;
                case '#' when !inWord:
                    // A comment runs to the end of the line.
                    var newline = line.IndexOf('\n', i);
                    i = newline < 0 ? line.Length : newline - 1;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        EndCommand();
        return programs;
    }

    private static string? FirstProgram(List<string> words)
    {
        var afterWrapper = false;
        var skipNext = false;
        foreach (var word in words)
        {
            if (skipNext)
            {
                skipNext = false;
                continue;
            }

            if (IsAssignment(word))
            {
                continue;
            }

            if (afterWrapper && (word.StartsWith('-') || IsNumber(word)))
            {
                // A wrapper's options and numbers (nice -n 5, timeout 10); sudo -u and -g take a name.
                skipNext = word is "-u" or "-g";
                continue;
            }

            var name = Name(word);
            if (Wrappers.Contains(name))
            {
                afterWrapper = true;
                continue;
            }

            return name.Length == 0 ? null : name;
        }

        return null;
    }

    private static bool IsAssignment(string word)
    {
        var equals = word.IndexOf('=');
        return equals > 0 && word[..equals].All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(word[0]);
    }

    private static bool IsNumber(string word) => word.Length > 0 && word.All(c => char.IsAsciiDigit(c) || c is '.' or 's' or 'm' or 'h');

    private static string Name(string word) => word[(word.LastIndexOf('/') + 1)..];
}
