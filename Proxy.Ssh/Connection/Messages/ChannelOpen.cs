using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_CHANNEL_OPEN (RFC 4254 §5.1): a channel of a type, the sender's channel number, its initial window and
/// maximum packet size, and type-specific data kept as sent (<see cref="TypeData"/>). Typed helpers cover "session"
/// (§6.1), "x11" (§6.3.2), "direct-tcpip" and "forwarded-tcpip" (§7.2) and OpenSSH's "auth-agent@openssh.com".
/// </summary>
public sealed record ChannelOpen(
    string ChannelType, uint SenderChannel, uint InitialWindowSize, uint MaximumPacketSize, ReadOnlyMemory<byte> TypeData = default)
{
    public const string Name = "SSH_MSG_CHANNEL_OPEN";

    public const string SessionType = "session";
    public const string X11Type = "x11";
    public const string DirectTcpipType = "direct-tcpip";
    public const string ForwardedTcpipType = "forwarded-tcpip";

    /// <summary>OpenSSH's agent forwarding channel (no type-specific data).</summary>
    public const string AuthAgentOpenSshType = "auth-agent@openssh.com";

    public static ChannelOpen Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelOpen, Name);
        return new ChannelOpen(reader.ReadUtf8(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadRemaining().ToArray());
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.ChannelOpen);
        writer.WriteUtf8(ChannelType);
        writer.WriteUInt32(SenderChannel);
        writer.WriteUInt32(InitialWindowSize);
        writer.WriteUInt32(MaximumPacketSize);
        writer.WriteRaw(TypeData.Span);
    }

    public static ChannelOpen Session(uint senderChannel, uint initialWindowSize, uint maximumPacketSize) =>
        new(SessionType, senderChannel, initialWindowSize, maximumPacketSize);

    public static ChannelOpen AuthAgent(uint senderChannel, uint initialWindowSize, uint maximumPacketSize) =>
        new(AuthAgentOpenSshType, senderChannel, initialWindowSize, maximumPacketSize);

    /// <summary>"direct-tcpip": the client asks the server to connect to <see cref="TcpipChannelData.Host"/>:<see cref="TcpipChannelData.Port"/>.</summary>
    public static ChannelOpen DirectTcpip(uint senderChannel, uint initialWindowSize, uint maximumPacketSize, TcpipChannelData data) =>
        new(DirectTcpipType, senderChannel, initialWindowSize, maximumPacketSize, Encode(data));

    /// <summary>"forwarded-tcpip": the server reports a connection to a port forwarded with "tcpip-forward".</summary>
    public static ChannelOpen ForwardedTcpip(uint senderChannel, uint initialWindowSize, uint maximumPacketSize, TcpipChannelData data) =>
        new(ForwardedTcpipType, senderChannel, initialWindowSize, maximumPacketSize, Encode(data));

    public static ChannelOpen X11(uint senderChannel, uint initialWindowSize, uint maximumPacketSize, X11ChannelData data) =>
        new(X11Type, senderChannel, initialWindowSize, maximumPacketSize, Encode(data));

    /// <summary>The addresses of a "direct-tcpip" or "forwarded-tcpip" open; malformed data is a protocol error.</summary>
    public TcpipChannelData ReadTcpipData()
    {
        if (ChannelType is not (DirectTcpipType or ForwardedTcpipType))
        {
            throw new InvalidOperationException($"a \"{ChannelType}\" channel has no tcpip data");
        }

        return TcpipChannelData.Parse(TypeData.Span);
    }

    /// <summary>The originator of an "x11" open; malformed data is a protocol error.</summary>
    public X11ChannelData ReadX11Data()
    {
        if (ChannelType != X11Type)
        {
            throw new InvalidOperationException($"a \"{ChannelType}\" channel has no x11 data");
        }

        return X11ChannelData.Parse(TypeData.Span);
    }

    private static byte[] Encode(TcpipChannelData data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        data.WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Encode(X11ChannelData data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        data.WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public bool Equals(ChannelOpen? other) =>
        other is not null
        && ChannelType == other.ChannelType
        && SenderChannel == other.SenderChannel
        && InitialWindowSize == other.InitialWindowSize
        && MaximumPacketSize == other.MaximumPacketSize
        && MessageCodec.SameBytes(TypeData, other.TypeData);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ChannelType);
        hash.Add(SenderChannel);
        hash.Add(InitialWindowSize);
        hash.Add(MaximumPacketSize);
        MessageCodec.AddBytes(ref hash, TypeData);
        return hash.ToHashCode();
    }
}
