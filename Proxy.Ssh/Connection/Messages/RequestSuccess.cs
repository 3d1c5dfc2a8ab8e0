using System.Buffers;
using System.Buffers.Binary;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_REQUEST_SUCCESS (RFC 4254 §4): the reply to a global request sent with want-reply that succeeded, with
/// response-specific data (the rest of the payload, no length): for "tcpip-forward" with port 0, the bound port (§7.1).
/// </summary>
public sealed record RequestSuccess(ReadOnlyMemory<byte> ResponseData = default)
{
    public const string Name = "SSH_MSG_REQUEST_SUCCESS";

    public static RequestSuccess Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.RequestSuccess, Name);
        return new RequestSuccess(reader.ReadRemaining().ToArray());
    }

    public void WriteTo(IBufferWriter<byte> output) =>
        MessageCodec.Begin(output, SshMessageNumber.RequestSuccess).WriteRaw(ResponseData.Span);

    /// <summary>The reply to a "tcpip-forward" with port 0: the port the server bound.</summary>
    public static RequestSuccess WithBoundPort(uint port)
    {
        var data = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(data, port);
        return new RequestSuccess(data);
    }

    /// <summary>The bound port of a reply to "tcpip-forward" with port 0; anything but one uint32 is a protocol error.</summary>
    public uint ReadBoundPort()
    {
        if (ResponseData.Length != 4)
        {
            throw new SshProtocolException(
                SshDisconnectReason.ProtocolError, $"{Name} for tcpip-forward must hold a uint32 port, not {ResponseData.Length} bytes");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(ResponseData.Span);
    }

    public bool Equals(RequestSuccess? other) => other is not null && MessageCodec.SameBytes(ResponseData, other.ResponseData);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        MessageCodec.AddBytes(ref hash, ResponseData);
        return hash.ToHashCode();
    }
}
