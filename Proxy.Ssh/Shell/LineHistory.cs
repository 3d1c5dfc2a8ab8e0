namespace HoopProxy.Ssh.Shell;

/// <summary>
/// The lines this session entered, as the shell's history would hold them with Debian's and Ubuntu's default
/// <c>HISTCONTROL=ignoreboth</c>: no empty lines, no lines starting with a space, no repeat of the line before. Bounded
/// by entries (bash's default <c>HISTSIZE</c>, 1000) and by characters, oldest dropped first.
/// </summary>
internal sealed class LineHistory(int maxEntries, int maxCharacters)
{
    private readonly List<string> _entries = [];
    private int _characters;

    public int Count => _entries.Count;

    public string this[int index] => _entries[index];

    public void Add(string line)
    {
        if (line.Length == 0 || line[0] == ' ' || (_entries.Count > 0 && _entries[^1] == line) || line.Length > maxCharacters)
        {
            return;
        }

        _entries.Add(line);
        _characters += line.Length;
        while (_entries.Count > maxEntries || _characters > maxCharacters)
        {
            _characters -= _entries[0].Length;
            _entries.RemoveAt(0);
        }
    }

    /// <summary>The newest entry at or before <paramref name="from"/> that contains <paramref name="text"/>, or -1 (reverse-i-search).</summary>
    public int SearchBackward(string text, int from)
    {
        for (var i = Math.Min(from, _entries.Count - 1); i >= 0; i--)
        {
            if (_entries[i].Contains(text, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
