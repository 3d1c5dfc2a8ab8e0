using System.Text.RegularExpressions;

namespace HoopProxy.Postgres.Masking;

/// <summary>
/// A custom detector from a configured regular expression. Every non-empty match counts (no validation beyond the
/// pattern). Matching is bounded by a timeout because a pattern from configuration may backtrack catastrophically
/// on some value; when it times out the detector fails closed and reports everything from where it was scanning to
/// the end of the text, so the rest of the value is masked rather than leaked.
/// </summary>
public sealed class RegexDetector : IDetector
{
    public static readonly TimeSpan DefaultMatchTimeout = TimeSpan.FromMilliseconds(50);

    private readonly Regex _regex;

    public RegexDetector(string name, string pattern, TimeSpan? matchTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var timeout = matchTimeout ?? DefaultMatchTimeout;
        if (timeout <= TimeSpan.Zero || timeout == Regex.InfiniteMatchTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(matchTimeout), timeout, "a custom detector needs a finite, positive match timeout");
        }

        Name = name;
        // Compiled: the pattern runs on every value of every row; CultureInvariant: the same answers on every host.
        _regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, timeout);
    }

    public string Name { get; }

    public TimeSpan MatchTimeout => _regex.MatchTimeout;

    /// <summary>How many scans timed out (each masked the rest of its value). For diagnostics and alerts.</summary>
    public long TimeoutCount => Interlocked.Read(ref _timeouts);

    private long _timeouts;

    public bool TryFindNext(ReadOnlySpan<char> text, int startAt, out TextMatch match)
    {
        try
        {
            foreach (var found in _regex.EnumerateMatches(text, startAt))
            {
                if (found.Length > 0)
                {
                    match = new TextMatch(found.Index, found.Length);
                    return true;
                }
            }
        }
        catch (RegexMatchTimeoutException)
        {
            Interlocked.Increment(ref _timeouts);
            match = new TextMatch(startAt, text.Length - startAt);
            return match.Length > 0;
        }

        match = default;
        return false;
    }
}
