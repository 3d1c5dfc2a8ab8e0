namespace HoopProxy.Postgres.Masking;

/// <summary>The <c>Operator</c> of a masking rule.</summary>
public enum MaskOperatorKind
{
    Redact,
    Partial,
    Hash,
    Null,
}
