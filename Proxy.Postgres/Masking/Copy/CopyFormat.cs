namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>The three layouts of COPY data (the FORMAT option).</summary>
public enum CopyFormat
{
    Text,
    Csv,
    Binary,
}
