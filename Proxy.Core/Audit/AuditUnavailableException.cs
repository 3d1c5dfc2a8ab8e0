namespace HoopProxy.Core.Audit;

/// <summary>
/// An event cannot be logged (the file cannot be written, the queue stayed full past <see cref="AuditOptions.WriteTimeout"/>,
/// the log is closed). Thrown only when the log fails closed: the caller then refuses what it was about to do, or ends
/// the session, rather than let it happen unaudited.
/// </summary>
public sealed class AuditUnavailableException : Exception
{
    public AuditUnavailableException() { }

    public AuditUnavailableException(string message) : base(message) { }

    public AuditUnavailableException(string message, Exception inner) : base(message, inner) { }
}
