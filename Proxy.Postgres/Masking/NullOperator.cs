namespace HoopProxy.Postgres.Masking;

/// <summary>
/// The value becomes SQL NULL. Inside a text there is nothing to splice: one match nulls the whole value, which the
/// caller sees as <see cref="MaskedValue.IsNull"/> and sends as a NULL column (length -1 in a DataRow).
/// </summary>
public sealed class NullOperator : MaskOperator
{
    public override MaskOperatorKind Kind => MaskOperatorKind.Null;

    public override bool NullsWholeValue => true;

    // Never asked for by ValueMasker or MaskWholeValue (NullsWholeValue short-cuts both); an empty splice is the
    // honest answer for a caller that asks anyway.
    public override int GetReplacementLength(ReadOnlySpan<char> original, string label) => 0;

    public override void WriteReplacement(ReadOnlySpan<char> original, string label, Span<char> destination)
    {
    }
}
