namespace HoopProxy.Postgres.Masking;

/// <summary>
/// The outcome of masking one value: unchanged (the original instance when the input was a string), replaced by a
/// masked text, or SQL NULL. <see cref="Counts"/> says what was found, per detector, for the audit record.
/// </summary>
public readonly struct MaskedValue
{
    private readonly IReadOnlyList<DetectorCount>? _counts;

    private MaskedValue(bool changed, bool isNull, string? text, IReadOnlyList<DetectorCount>? counts)
    {
        Changed = changed;
        IsNull = isNull;
        Text = text;
        _counts = counts;
    }

    /// <summary>True when the caller must send something other than the original value.</summary>
    public bool Changed { get; }

    /// <summary>True when the value must be sent as SQL NULL (the Null operator).</summary>
    public bool IsNull { get; }

    /// <summary>The value to send: the masked text, the original when unchanged (null for span input), null when <see cref="IsNull"/>.</summary>
    public string? Text { get; }

    /// <summary>Masked matches per detector, only detectors that matched, in the masker's detector order.</summary>
    public IReadOnlyList<DetectorCount> Counts => _counts ?? [];

    public int MatchCount
    {
        get
        {
            int total = 0;
            foreach (var count in Counts)
            {
                total += count.Count;
            }

            return total;
        }
    }

    public static MaskedValue Unchanged(string? original) => new(false, false, original, null);

    public static MaskedValue Replaced(string masked, IReadOnlyList<DetectorCount> counts) => new(true, false, masked, counts);

    public static MaskedValue SqlNull(IReadOnlyList<DetectorCount> counts) => new(true, true, null, counts);
}
