namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>What masking did to one field of a row.</summary>
public enum FieldMaskResult
{
    /// <summary>Send the original bytes.</summary>
    Unchanged,

    /// <summary>Send the bytes written to the output instead.</summary>
    Replaced,

    /// <summary>Send SQL NULL instead.</summary>
    Null,
}
