namespace HoopProxy.Postgres.Masking;

/// <summary>A validated match of a detector: <see cref="Length"/> characters of the scanned text from <see cref="Start"/>.</summary>
public readonly record struct TextMatch(int Start, int Length)
{
    public int End => Start + Length;
}
