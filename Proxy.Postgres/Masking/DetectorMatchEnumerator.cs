namespace HoopProxy.Postgres.Masking;

/// <summary>
/// <c>foreach (var match in detector.EnumerateMatches(text))</c>: the non-overlapping matches of one detector, in
/// order, without allocating.
/// </summary>
public ref struct DetectorMatchEnumerator
{
    private readonly IDetector _detector;
    private readonly ReadOnlySpan<char> _text;
    private int _next;

    internal DetectorMatchEnumerator(IDetector detector, ReadOnlySpan<char> text)
    {
        _detector = detector;
        _text = text;
    }

    public TextMatch Current { get; private set; }

    public readonly DetectorMatchEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_next > _text.Length || !_detector.TryFindNext(_text, _next, out var match))
        {
            return false;
        }

        Current = match;
        // A zero-length match (only a careless custom detector reports one) must still move the scan forward.
        _next = match.Length > 0 ? match.End : match.Start + 1;
        return true;
    }
}

public static class DetectorExtensions
{
    public static DetectorMatchEnumerator EnumerateMatches(this IDetector detector, ReadOnlySpan<char> text)
    {
        ArgumentNullException.ThrowIfNull(detector);
        return new DetectorMatchEnumerator(detector, text);
    }
}
