using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_CHANNEL_REQUEST (RFC 4254 §5.4): a request on one channel, its type, want-reply, and the request-specific
/// data kept as sent (<see cref="RequestData"/>), so an unknown request can be relayed or refused untouched. The
/// requests of RFC 4254 §6–§7, RFC 4335 ("break") and OpenSSH's are typed through <see cref="IChannelRequestData{TSelf}"/>:
/// <see cref="Create{T}"/> builds one, <see cref="ReadData{T}"/> reads one.
/// </summary>
public sealed record ChannelRequest(uint RecipientChannel, string RequestType, bool WantReply, ReadOnlyMemory<byte> RequestData = default)
{
    public const string Name = "SSH_MSG_CHANNEL_REQUEST";

    public static ChannelRequest Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelRequest, Name);
        return new ChannelRequest(reader.ReadUInt32(), reader.ReadUtf8(), reader.ReadBoolean(), reader.ReadRemaining().ToArray());
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.ChannelRequest);
        writer.WriteUInt32(RecipientChannel);
        writer.WriteUtf8(RequestType);
        writer.WriteBoolean(WantReply);
        writer.WriteRaw(RequestData.Span);
    }

    /// <summary>A request of type <typeparamref name="T"/> with <paramref name="data"/> encoded as its request-specific data.</summary>
    public static ChannelRequest Create<T>(uint recipientChannel, bool wantReply, T data)
        where T : IChannelRequestData<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        var buffer = new ArrayBufferWriter<byte>();
        data.WriteTo(buffer);
        return new ChannelRequest(recipientChannel, T.RequestType, wantReply, buffer.WrittenSpan.ToArray());
    }

    /// <summary>Whether this is a request of type <typeparamref name="T"/>.</summary>
    public bool Is<T>()
        where T : IChannelRequestData<T> => RequestType == T.RequestType;

    /// <summary>
    /// The request-specific data read as <typeparamref name="T"/>, whose type must match <see cref="RequestType"/>
    /// (check with <see cref="Is{T}"/>); malformed data is an <see cref="SshProtocolException"/>, which a session may
    /// answer with SSH_MSG_CHANNEL_FAILURE instead of a disconnect.
    /// </summary>
    public T ReadData<T>()
        where T : IChannelRequestData<T>
    {
        if (!Is<T>())
        {
            throw new InvalidOperationException($"a \"{RequestType}\" channel request cannot be read as \"{T.RequestType}\"");
        }

        return T.Parse(RequestData.Span);
    }

    public bool Equals(ChannelRequest? other) =>
        other is not null
        && RecipientChannel == other.RecipientChannel
        && RequestType == other.RequestType
        && WantReply == other.WantReply
        && MessageCodec.SameBytes(RequestData, other.RequestData);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(RecipientChannel);
        hash.Add(RequestType);
        hash.Add(WantReply);
        MessageCodec.AddBytes(ref hash, RequestData);
        return hash.ToHashCode();
    }
}
