using System.Net;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>The TCP flags a synthesized conversation uses (RFC 9293 §3.1).</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
}

/// <summary>One end of a TCP conversation. Both ends of a conversation have the same address family.</summary>
public readonly record struct TcpEndpoint(IPAddress Address, ushort Port)
{
    /// <summary>As Wireshark writes it: <c>10.0.0.1:5432</c>, <c>[::1]:5432</c>.</summary>
    public override string ToString() => new IPEndPoint(Address, Port).ToString();
}

/// <summary>The header fields of one segment; the payload is passed beside it.</summary>
public readonly record struct TcpSegment(TcpEndpoint Source, TcpEndpoint Destination, uint Sequence, uint Acknowledgment, TcpFlags Flags);
