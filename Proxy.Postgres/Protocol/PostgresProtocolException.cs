namespace HoopProxy.Postgres.Protocol;

/// <summary>
/// Something a peer did wrong, with the SQLSTATE and text the client should see. The message must
/// be safe to show: it never contains credentials or text from the upstream login.
/// </summary>
public sealed class PostgresProtocolException : Exception
{
    public PostgresProtocolException(string sqlState, string message) : base(message)
    {
        SqlState = sqlState;
    }

    public PostgresProtocolException(string sqlState, string message, Exception inner) : base(message, inner)
    {
        SqlState = sqlState;
    }

    public PostgresProtocolException() : this(Protocol.SqlState.InternalError, "internal error") { }

    public PostgresProtocolException(string message) : this(Protocol.SqlState.ProtocolViolation, message) { }

    public PostgresProtocolException(string message, Exception inner) : this(Protocol.SqlState.ProtocolViolation, message, inner) { }

    public string SqlState { get; }
}
