namespace HoopProxy.Ssh.Session;

/// <summary>
/// One channel carried through the proxy. The proxy's own number <see cref="Id"/> is what both peers address it by
/// (the proxy opens the far side with it); <see cref="ClientId"/> and <see cref="TargetId"/> are the numbers each
/// peer gave it. Channels are opened by the client (sessions, ssh -L/-D/-W) or by the target (ssh -R connections, agent
/// and X11 channels). Windows pass through end to end: the target learns the client's window and the client the
/// target's, so the proxy buffers nothing a peer did not allow, and a slow reader slows the writer on the far side.
/// The proxy still counts each window, to end a connection whose peer sends more than it was allowed (so no peer can
/// make the proxy hold unbounded data).
/// </summary>
internal sealed class RelayedChannel(uint id, string type, bool openedByClient)
{
    /// <summary>
    /// The most of a client's session window the proxy keeps back from the target for messages of its own to the
    /// client (a command held for approval says so on stderr); the client's window adjusts refill it first.
    /// </summary>
    public const long ProxyWindowReserveLimit = 4096;

    public uint Id { get; } = id;

    public string Type { get; } = type;

    public bool OpenedByClient { get; } = openedByClient;

    public uint ClientId { get; set; }

    public uint TargetId { get; set; }

    public bool Confirmed { get; set; }

    /// <summary>Bytes the client may still send (the target's window as relayed to it).</summary>
    public long ClientMaySend;

    /// <summary>Bytes the target may still send (the client's window as relayed to it, less the proxy's reserve).</summary>
    public long TargetMaySend;

    /// <summary>How much of the client's window the proxy may still use for its own messages.</summary>
    public long ProxyWindowReserve;

    /// <summary>What <see cref="ProxyWindowReserve"/> is refilled up to (set when the client opens a session channel).</summary>
    public long ProxyWindowReserveCapacity { get; set; }

    /// <summary>The largest data the target accepts per message (from its confirmation): what the client may send.</summary>
    public uint MaxPacketToTarget { get; set; }

    /// <summary>The largest data the client accepts per message (from its open): what the target may send.</summary>
    public uint MaxPacketToClient { get; set; }

    public bool ClientSentClose { get; set; }

    public bool TargetSentClose { get; set; }

    public bool IsFinished => ClientSentClose && TargetSentClose;

    /// <summary>What the recording says about the channel: its exec command, terminal and so on (for log lines).</summary>
    public string? Command { get; set; }

    /// <summary>The client asked for a terminal (pty-req) on this channel.</summary>
    public bool HasTerminal { get; set; }

    /// <summary>What watches the channel's data for the record (SFTP, typed lines); null for most channels.</summary>
    public IChannelObserver? Observer { get; set; }

    /// <summary>
    /// While an exec request waits for approval, the client's later messages on the channel wait here, in order, and
    /// follow the request to the target once it is decided; null otherwise. Bounded by the window the target gave.
    /// </summary>
    public Queue<byte[]>? HeldForTarget { get; set; }

    /// <summary>The approval request the held exec waits on, while it waits.</summary>
    public string? HeldRequestId { get; set; }

    /// <summary>Held while replies to the client's requests are decided and sent, so they leave in order.</summary>
    public SemaphoreSlim ReplyLock { get; } = new(1, 1);

    /// <summary>Replies owed to the client's channel requests, in order. Use under <see cref="ReplyLock"/>.</summary>
    public OrderedReplies<bool> ClientRequestReplies { get; } = new();

    /// <summary>Takes <paramref name="bytes"/> of the reserve for a message of the proxy's own; false when it is too small.</summary>
    public bool TryTakeReserve(long bytes)
    {
        while (true)
        {
            var reserve = Interlocked.Read(ref ProxyWindowReserve);
            if (reserve < bytes)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref ProxyWindowReserve, reserve - bytes, reserve) == reserve)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// The client granted <paramref name="bytes"/> more window: the part that refills the proxy's reserve stays here;
    /// returns what the target may be granted.
    /// </summary>
    public uint RefillReserve(uint bytes)
    {
        while (true)
        {
            var reserve = Interlocked.Read(ref ProxyWindowReserve);
            var refill = Math.Min(bytes, ProxyWindowReserveCapacity - reserve);
            if (refill <= 0)
            {
                return bytes;
            }

            if (Interlocked.CompareExchange(ref ProxyWindowReserve, reserve + refill, reserve) == reserve)
            {
                return (uint)(bytes - refill);
            }
        }
    }
}
