namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>The two ends of a TCP conversation: the one that connected and the one that accepted.</summary>
public enum TcpSide
{
    /// <summary>The end that sent the SYN: the originator of a forwarded connection.</summary>
    Initiator,

    /// <summary>The end that was connected to: the destination host and port.</summary>
    Responder,
}

/// <summary>
/// A TCP connection made up from what a forwarded channel carried: the three-way handshake, each piece of data as
/// segments with the sequence and acknowledgement numbers a real connection would have had and the receiver's
/// acknowledgement after it, a FIN (acknowledged) when an end is done, or a RST when the recording ends with the
/// connection still open. It is what a capture on a loopback interface between the two ends would have shown, minus
/// retransmissions and window updates, which the recording cannot know.
/// </summary>
public sealed class SyntheticTcpConversation
{
    private readonly PcapWriter _pcap;
    private readonly TcpEndpoint _initiator;
    private readonly TcpEndpoint _responder;

    /// <summary>The sequence number of the next byte each end sends; the other end's acknowledgement number.</summary>
    private uint _initiatorNext;

    private uint _responderNext;
    private bool _initiatorFinished;
    private bool _responderFinished;

    /// <param name="initiatorIsn">The initial sequence numbers: any value works (Wireshark shows numbers relative to them).</param>
    public SyntheticTcpConversation(PcapWriter pcap, TcpEndpoint initiator, TcpEndpoint responder, uint initiatorIsn, uint responderIsn)
    {
        _pcap = pcap;
        _initiator = initiator;
        _responder = responder;
        _initiatorNext = initiatorIsn;
        _responderNext = responderIsn;
    }

    /// <summary>True once both ends sent their FIN, or the connection was reset: nothing more can be sent.</summary>
    public bool IsOver => (_initiatorFinished && _responderFinished) || IsReset;

    public bool IsReset { get; private set; }

    public bool HasFinished(TcpSide side) => IsReset || (side == TcpSide.Initiator ? _initiatorFinished : _responderFinished);

    /// <summary>SYN, SYN-ACK, ACK; each SYN takes one sequence number.</summary>
    public void Open(DateTimeOffset at)
    {
        Emit(at, TcpSide.Initiator, TcpFlags.Syn, []);
        _initiatorNext++;
        Emit(at, TcpSide.Responder, TcpFlags.Syn | TcpFlags.Ack, []);
        _responderNext++;
        Emit(at, TcpSide.Initiator, TcpFlags.Ack, []);
    }

    /// <summary>
    /// <paramref name="data"/> from <paramref name="from"/>, in segments of at most <see cref="IpTcpPacket.MaxPayload"/>
    /// bytes, then the other end's acknowledgement. False, and nothing written, when that end already sent its FIN.
    /// </summary>
    public bool Send(TcpSide from, DateTimeOffset at, ReadOnlySpan<byte> data)
    {
        if (HasFinished(from))
        {
            return false;
        }

        if (data.IsEmpty)
        {
            return true;
        }

        while (!data.IsEmpty)
        {
            var segment = data[..Math.Min(data.Length, IpTcpPacket.MaxPayload)];
            Emit(at, from, TcpFlags.Psh | TcpFlags.Ack, segment);
            Advance(from, (uint)segment.Length);
            data = data[segment.Length..];
        }

        Emit(at, Other(from), TcpFlags.Ack, []);
        return true;
    }

    /// <summary>A FIN from <paramref name="from"/> and the other end's acknowledgement; nothing when that end already finished.</summary>
    public void Finish(TcpSide from, DateTimeOffset at)
    {
        if (HasFinished(from))
        {
            return;
        }

        Emit(at, from, TcpFlags.Fin | TcpFlags.Ack, []);
        Advance(from, 1);
        if (from == TcpSide.Initiator)
        {
            _initiatorFinished = true;
        }
        else
        {
            _responderFinished = true;
        }

        Emit(at, Other(from), TcpFlags.Ack, []);
    }

    /// <summary>A RST from the initiator: the connection ended without both ends closing it.</summary>
    public void Reset(DateTimeOffset at)
    {
        if (IsOver)
        {
            return;
        }

        Emit(at, TcpSide.Initiator, TcpFlags.Rst | TcpFlags.Ack, []);
        IsReset = true;
    }

    private static TcpSide Other(TcpSide side) => side == TcpSide.Initiator ? TcpSide.Responder : TcpSide.Initiator;

    private void Advance(TcpSide side, uint count)
    {
        // Sequence numbers wrap modulo 2^32 (RFC 9293 §3.4); uint arithmetic does exactly that.
        if (side == TcpSide.Initiator)
        {
            _initiatorNext = unchecked(_initiatorNext + count);
        }
        else
        {
            _responderNext = unchecked(_responderNext + count);
        }
    }

    private void Emit(DateTimeOffset at, TcpSide from, TcpFlags flags, ReadOnlySpan<byte> payload)
    {
        var segment = from == TcpSide.Initiator
            ? new TcpSegment(_initiator, _responder, _initiatorNext, _responderNext, flags)
            : new TcpSegment(_responder, _initiator, _responderNext, _initiatorNext, flags);
        _pcap.WriteSegment(at, segment, payload);
    }
}
