namespace HoopProxy.Postgres.Authentication;

/// <summary>A login step failed; the message is safe for logs (no secrets).</summary>
public sealed class AuthenticationException : Exception
{
    public AuthenticationException(string message) : base(message) { }

    public AuthenticationException() { }

    public AuthenticationException(string message, Exception inner) : base(message, inner) { }
}
