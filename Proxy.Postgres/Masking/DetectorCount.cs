namespace HoopProxy.Postgres.Masking;

/// <summary>How many matches of one detector were masked in a value.</summary>
public readonly record struct DetectorCount(string Detector, int Count);
