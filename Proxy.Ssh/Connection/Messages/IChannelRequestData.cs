using System.Buffers;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>The request-specific data of one SSH_MSG_CHANNEL_REQUEST type (RFC 4254 §6), without the message's own fields.</summary>
public interface IChannelRequestData<TSelf>
    where TSelf : IChannelRequestData<TSelf>
{
    /// <summary>The request type name on the wire ("pty-req", "exec", "keepalive@openssh.com", …).</summary>
    static abstract string RequestType { get; }

    /// <summary>Reads the request-specific data; anything malformed or left over is an <see cref="SshProtocolException"/>.</summary>
    static abstract TSelf Parse(ReadOnlySpan<byte> requestData);

    /// <summary>Writes the request-specific data.</summary>
    void WriteTo(IBufferWriter<byte> output);
}
