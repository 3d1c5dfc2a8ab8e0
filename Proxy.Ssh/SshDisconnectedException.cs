using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh;

/// <summary>The peer ended the connection with SSH_MSG_DISCONNECT (RFC 4253 §11.1); its reason and text, as sent.</summary>
public sealed class SshDisconnectedException(SshDisconnectReason reason, string description)
    : Exception($"the peer disconnected: {reason} ({(int)reason}): {description}")
{
    public SshDisconnectReason Reason { get; } = reason;

    public string Description { get; } = description;

    /// <summary>Reads the DISCONNECT; a malformed one still ends the connection, as a protocol error.</summary>
    public static SshDisconnectedException From(ReadOnlySpan<byte> payload)
    {
        try
        {
            var message = Disconnect.Parse(payload);
            return new SshDisconnectedException(message.Reason, message.Description);
        }
        catch (SshProtocolException e)
        {
            return new SshDisconnectedException(SshDisconnectReason.ProtocolError, $"(malformed disconnect message: {e.Message})");
        }
    }
}
