namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// COPY data that cannot be read as the announced format, or a stream that ended inside a row. Masking fails closed
/// on it: nothing of the offending row has been written, and the caller ends the statement with an error.
/// </summary>
public sealed class CopyFormatException(string message) : Exception(message);
