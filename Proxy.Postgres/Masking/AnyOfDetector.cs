namespace HoopProxy.Postgres.Masking;

/// <summary>
/// One detector name over several ways of finding (a custom detector with both a pattern and a word list): the
/// earliest match of any part, the longest when two start together.
/// </summary>
public sealed class AnyOfDetector : IDetector
{
    private readonly IDetector[] _parts;

    public AnyOfDetector(string name, IEnumerable<IDetector> parts)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parts);
        _parts = [.. parts];
        if (_parts.Length == 0)
        {
            throw new ArgumentException($"detector '{name}' has nothing to find with", nameof(parts));
        }

        Name = name;
    }

    public string Name { get; }

    public bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match)
    {
        bool found = false;
        match = default;
        foreach (var part in _parts)
        {
            if (part.TryFindNext(text, startAt, out var candidate) &&
                (!found || candidate.Start < match.Start || (candidate.Start == match.Start && candidate.Length > match.Length)))
            {
                match = candidate;
                found = true;
            }
        }

        return found;
    }
}
