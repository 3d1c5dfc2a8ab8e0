namespace HoopProxy.Postgres.Masking;

/// <summary>
/// What replaces a sensitive value: a match a detector found inside a text, or a whole column value. The replacement
/// is written into a caller's buffer (length first, then the characters) so that masking a value allocates only the
/// resulting string.
/// </summary>
public abstract class MaskOperator
{
    public abstract MaskOperatorKind Kind { get; }

    /// <summary>True when any match makes the whole value SQL NULL instead of being replaced in place.</summary>
    public virtual bool NullsWholeValue => false;

    /// <summary>How many characters <see cref="WriteReplacement"/> writes for this original.</summary>
    /// <param name="original">The sensitive text (a detector's match or a whole value).</param>
    /// <param name="label">The detector or column name, for operators that show it.</param>
    public abstract int GetReplacementLength(ReadOnlySpan<char> original, string label);

    /// <summary>Writes exactly <see cref="GetReplacementLength"/> characters into <paramref name="destination"/>.</summary>
    public abstract void WriteReplacement(ReadOnlySpan<char> original, string label, Span<char> destination);

    /// <summary>Masks a whole value, as a column rule does; <paramref name="label"/> is the column name.</summary>
    public MaskedValue MaskWholeValue(string value, string label)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(label);
        if (NullsWholeValue)
        {
            return MaskedValue.SqlNull([]);
        }

        int length = GetReplacementLength(value, label);
        string masked = string.Create(length, (Operator: this, Value: value, Label: label),
            static (destination, state) => state.Operator.WriteReplacement(state.Value, state.Label, destination));
        return string.Equals(masked, value, StringComparison.Ordinal)
            ? MaskedValue.Unchanged(value)
            : MaskedValue.Replaced(masked, []);
    }
}
