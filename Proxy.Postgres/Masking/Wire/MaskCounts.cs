namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>
/// What masking changed in one statement's answer (or one message): masked values per column and masked matches per
/// detector. Only counts and names, never a value: this is what the audit record says was hidden.
/// </summary>
public sealed class MaskCounts
{
    // Created on first use: most statements of a masked session mask nothing, and a count object is made per answer.
    private Dictionary<string, long>? _columns;
    private Dictionary<string, long>? _detectors;

    public Dictionary<string, long> Columns => _columns ??= new(StringComparer.Ordinal);

    public Dictionary<string, long> Detectors => _detectors ??= new(StringComparer.Ordinal);

    /// <summary>Why the proxy withheld the rest of the answer (a row too large to mask, columns it could not name); null when it did not.</summary>
    public string? Withheld { get; set; }

    public bool IsEmpty => (_columns?.Count ?? 0) == 0 && (_detectors?.Count ?? 0) == 0 && Withheld is null;

    public void AddColumn(string column, long count)
    {
        if (count > 0)
        {
            Columns[column] = Columns.GetValueOrDefault(column) + count;
        }
    }

    public void AddDetector(string detector, long count)
    {
        if (count > 0)
        {
            Detectors[detector] = Detectors.GetValueOrDefault(detector) + count;
        }
    }
}
