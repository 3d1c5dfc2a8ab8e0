namespace HoopProxy.Postgres.Masking;

/// <summary>
/// A detector defined in configuration: a regular expression, a list of words, or both (either finds).
/// <c>{ "Name": "employee-id", "Pattern": "\\bEMP-[0-9]{6}\\b" }</c>,
/// <c>{ "Name": "code-names", "Words": [ "falcon", "osprey" ] }</c>.
/// </summary>
public sealed record CustomDetectorDefinition(string Name, string? Pattern = null, IReadOnlyList<string>? Words = null, TimeSpan? MatchTimeout = null)
{
    public IDetector Build()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        bool hasPattern = !string.IsNullOrEmpty(Pattern);
        bool hasWords = Words is { Count: > 0 };
        if (hasPattern && hasWords)
        {
            return new AnyOfDetector(Name, [new RegexDetector(Name, Pattern!, MatchTimeout), new WordListDetector(Name, Words!)]);
        }

        if (hasPattern)
        {
            return new RegexDetector(Name, Pattern!, MatchTimeout);
        }

        if (hasWords)
        {
            return new WordListDetector(Name, Words!);
        }

        throw new ArgumentException($"custom detector '{Name}' needs a Pattern, Words, or both");
    }
}
