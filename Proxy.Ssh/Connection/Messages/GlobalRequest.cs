using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_GLOBAL_REQUEST (RFC 4254 §4): a request for the whole connection. The request-specific data is kept as sent
/// (<see cref="RequestData"/>); "tcpip-forward" and "cancel-tcpip-forward" (RFC 4254 §7.1) have typed helpers, and
/// OpenSSH's requests (PROTOCOL §2.5, §4) are plain names here.
/// </summary>
public sealed record GlobalRequest(string RequestName, bool WantReply, ReadOnlyMemory<byte> RequestData = default)
{
    public const string Name = "SSH_MSG_GLOBAL_REQUEST";

    /// <summary>RFC 4254 §7.1: listen on an address and port and open "forwarded-tcpip" channels for connections to it.</summary>
    public const string TcpipForwardName = "tcpip-forward";

    /// <summary>RFC 4254 §7.1: stop a "tcpip-forward".</summary>
    public const string CancelTcpipForwardName = "cancel-tcpip-forward";

    /// <summary>OpenSSH's liveness probe (no data, want-reply set): any reply, even a failure, proves the peer alive.</summary>
    public const string KeepAliveOpenSshName = "keepalive@openssh.com";

    /// <summary>OpenSSH PROTOCOL §2.2: the client will open no more sessions.</summary>
    public const string NoMoreSessionsOpenSshName = "no-more-sessions@openssh.com";

    /// <summary>OpenSSH PROTOCOL §2.5: the server's host keys, for the client to learn (UpdateHostKeys).</summary>
    public const string HostKeysOpenSshName = "hostkeys-00@openssh.com";

    /// <summary>OpenSSH PROTOCOL §2.5: the client asks the server to prove it holds the listed host keys.</summary>
    public const string HostKeysProveOpenSshName = "hostkeys-prove-00@openssh.com";

    public static GlobalRequest Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.GlobalRequest, Name);
        return new GlobalRequest(reader.ReadUtf8(), reader.ReadBoolean(), reader.ReadRemaining().ToArray());
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.GlobalRequest);
        writer.WriteUtf8(RequestName);
        writer.WriteBoolean(WantReply);
        writer.WriteRaw(RequestData.Span);
    }

    /// <summary>"tcpip-forward" for this address and port (0: the server picks one and names it in SSH_MSG_REQUEST_SUCCESS).</summary>
    public static GlobalRequest TcpipForward(string bindAddress, uint bindPort, bool wantReply = true) =>
        new(TcpipForwardName, wantReply, new TcpipForwardData(bindAddress, bindPort).Encode());

    /// <summary>"cancel-tcpip-forward" for this address and port.</summary>
    public static GlobalRequest CancelTcpipForward(string bindAddress, uint bindPort, bool wantReply = true) =>
        new(CancelTcpipForwardName, wantReply, new TcpipForwardData(bindAddress, bindPort).Encode());

    /// <summary>The address and port of a "tcpip-forward" or "cancel-tcpip-forward"; malformed data is a protocol error.</summary>
    public TcpipForwardData ReadTcpipForward()
    {
        if (RequestName is not (TcpipForwardName or CancelTcpipForwardName))
        {
            throw new InvalidOperationException($"a \"{RequestName}\" global request has no tcpip-forward data");
        }

        return TcpipForwardData.Parse(RequestData.Span);
    }

    public bool Equals(GlobalRequest? other) =>
        other is not null && RequestName == other.RequestName && WantReply == other.WantReply && MessageCodec.SameBytes(RequestData, other.RequestData);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(RequestName);
        hash.Add(WantReply);
        MessageCodec.AddBytes(ref hash, RequestData);
        return hash.ToHashCode();
    }
}
