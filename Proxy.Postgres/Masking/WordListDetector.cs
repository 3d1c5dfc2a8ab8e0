namespace HoopProxy.Postgres.Masking;

/// <summary>
/// A custom detector from a list of words (project code names, internal host names, customer names): a match is a
/// whole word of the text equal to a listed word, ignoring case (ordinal, so the same on every host). Words are
/// runs of letters, digits and underscores; a listed entry must be one such word (phrases belong in a pattern).
/// </summary>
public sealed class WordListDetector : IDetector
{
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _words;
    private readonly int _shortest;
    private readonly int _longest;

    public WordListDetector(string name, IEnumerable<string> words)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(words);
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in words)
        {
            if (string.IsNullOrEmpty(word) || !IsOneWord(word))
            {
                throw new ArgumentException($"detector '{name}': '{word}' is not a single word (letters, digits, underscores); use a pattern for phrases", nameof(words));
            }

            set.Add(word);
        }

        if (set.Count == 0)
        {
            throw new ArgumentException($"detector '{name}': the word list is empty", nameof(words));
        }

        Name = name;
        _words = set.GetAlternateLookup<ReadOnlySpan<char>>();
        _shortest = set.Min(w => w.Length);
        _longest = set.Max(w => w.Length);
    }

    public string Name { get; }

    public bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match)
    {
        int position = startAt;
        // Resuming in the middle of a word: that word's remainder is not a whole word.
        if (position > 0 && position < text.Length && IsWordChar(text[position - 1]))
        {
            position = SkipWord(text, position);
        }

        while (position < text.Length)
        {
            if (!IsWordChar(text[position]))
            {
                position++;
                continue;
            }

            int end = SkipWord(text, position);
            int length = end - position;
            if (length >= _shortest && length <= _longest && _words.Contains(text[position..end]))
            {
                match = new TextMatch(position, length);
                return true;
            }

            position = end;
        }

        match = default;
        return false;
    }

    private static bool IsOneWord(string word)
    {
        foreach (char c in word)
        {
            if (!IsWordChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private static int SkipWord(ReadOnlySpan<char> text, int index)
    {
        while (index < text.Length && IsWordChar(text[index]))
        {
            index++;
        }

        return index;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
