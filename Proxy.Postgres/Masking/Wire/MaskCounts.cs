namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>
/// What masking changed in one statement's answer (or one message): masked values per column and masked matches per
/// detector. Only counts and names, never a value: this is what the audit record says was hidden.
/// </summary>
public sealed class MaskCounts
{
    public Dictionary<string, long> Columns { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Detectors { get; } = new(StringComparer.Ordinal);

    /// <summary>Why the proxy withheld the rest of the answer (a row too large to mask, columns it could not name); null when it did not.</summary>
    public string? Withheld { get; set; }

    public bool IsEmpty => Columns.Count == 0 && Detectors.Count == 0 && Withheld is null;

    public void AddColumn(string column, long count) => Add(Columns, column, count);

    public void AddDetector(string detector, long count) => Add(Detectors, detector, count);

    private static void Add(Dictionary<string, long> counts, string key, long count)
    {
        if (count > 0)
        {
            counts[key] = counts.GetValueOrDefault(key) + count;
        }
    }
}
