namespace HoopProxy.Postgres.Masking;

/// <summary>Replaces the value with a fixed text, by default <c>[REDACTED:&lt;detector or column&gt;]</c>.</summary>
public sealed class RedactOperator : MaskOperator
{
    private const string Prefix = "[REDACTED:";
    private const string Suffix = "]";

    private readonly string? _fixedText;

    /// <param name="fixedText">A text to use instead of the labelled default.</param>
    public RedactOperator(string? fixedText = null)
    {
        _fixedText = fixedText;
    }

    public override MaskOperatorKind Kind => MaskOperatorKind.Redact;

    public override int GetReplacementLength(ReadOnlySpan<char> original, string label) =>
        _fixedText?.Length ?? Prefix.Length + label.Length + Suffix.Length;

    public override void WriteReplacement(ReadOnlySpan<char> original, string label, Span<char> destination)
    {
        if (_fixedText is not null)
        {
            _fixedText.CopyTo(destination);
            return;
        }

        Prefix.CopyTo(destination);
        label.CopyTo(destination[Prefix.Length..]);
        Suffix.CopyTo(destination[(Prefix.Length + label.Length)..]);
    }
}
