namespace HoopProxy.Core.Networking;

/// <summary>The peer closed or reset the transport while we were reading or writing.</summary>
public sealed class ConnectionResetException : IOException
{
    public ConnectionResetException(string message, Exception inner) : base(message, inner) { }

    public ConnectionResetException(string message) : base(message) { }

    public ConnectionResetException() { }
}
