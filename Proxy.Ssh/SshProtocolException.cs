namespace HoopProxy.Ssh;

/// <summary>The peer broke the protocol (or a check failed): the connection ends with SSH_MSG_DISCONNECT and this reason.</summary>
public sealed class SshProtocolException(SshDisconnectReason reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public SshDisconnectReason Reason { get; } = reason;
}
