namespace HoopProxy.Ssh.Session;

/// <summary>
/// One channel carried through the proxy. The proxy's own number <see cref="Id"/> is what both peers address it by
/// (the proxy opens the target's side with it); <see cref="ClientId"/> and <see cref="TargetId"/> are the numbers each
/// peer gave it. Windows pass through end to end: the target learns the client's window and the client the target's,
/// so the proxy buffers nothing a peer did not allow, and a slow reader slows the writer on the far side. The proxy
/// still counts each window, to end a connection whose peer sends more than it was allowed (so no peer can make the
/// proxy hold unbounded data).
/// </summary>
internal sealed class RelayedChannel(uint id, string type, uint clientId)
{
    private readonly Queue<PendingReply> _clientRequestReplies = new();

    public uint Id { get; } = id;

    public string Type { get; } = type;

    public uint ClientId { get; } = clientId;

    public uint TargetId { get; set; }

    public bool Confirmed { get; set; }

    /// <summary>Bytes the client may still send (the target's window as relayed to it).</summary>
    public long ClientMaySend;

    /// <summary>Bytes the target may still send (the client's window as relayed to it).</summary>
    public long TargetMaySend;

    /// <summary>The largest data the target accepts per message (from its confirmation): what the client may send.</summary>
    public uint MaxPacketToTarget { get; set; }

    /// <summary>The largest data the client accepts per message (from its open): what the target may send.</summary>
    public uint MaxPacketToClient { get; set; }

    public bool ClientSentEof { get; set; }

    public bool ClientSentClose { get; set; }

    public bool TargetSentClose { get; set; }

    public bool IsFinished => ClientSentClose && TargetSentClose;

    /// <summary>What the recording says about the channel: its exec command, terminal and so on (for log lines).</summary>
    public string? Command { get; set; }

    /// <summary>The client asked for a terminal (pty-req) on this channel.</summary>
    public bool HasTerminal { get; set; }

    /// <summary>What watches the channel's data for the record (SFTP, typed lines); null for most channels.</summary>
    public IChannelObserver? Observer { get; set; }

    /// <summary>Held while replies to the client's requests are decided and sent, so they leave in order.</summary>
    public SemaphoreSlim ReplyLock { get; } = new(1, 1);

    /// <summary>
    /// A client request with want-reply is either relayed (the target answers) or answered by the proxy; replies must
    /// reach the client in the order of its requests (RFC 4254 §5.4), so the proxy's own answers wait behind relayed
    /// ones. Returns the replies that can be sent now, in order (true = success). Call under <see cref="ReplyLock"/>.
    /// </summary>
    public IReadOnlyList<bool> ClientRequestSent(bool relayed, bool localAnswer)
    {
        _clientRequestReplies.Enqueue(new PendingReply(relayed, localAnswer));
        return TakeReady();
    }

    /// <summary>
    /// The target answered the oldest relayed request; returns the replies now due to the client, in order, or null when
    /// no relayed request was waiting (a protocol error by the target). Call under <see cref="ReplyLock"/>.
    /// </summary>
    public IReadOnlyList<bool>? TargetReplied(bool success)
    {
        if (!_clientRequestReplies.TryPeek(out var head) || !head.Relayed)
        {
            return null;
        }

        _clientRequestReplies.Dequeue();
        var ready = new List<bool> { success };
        ready.AddRange(TakeReady());
        return ready;
    }

    private List<bool> TakeReady()
    {
        var ready = new List<bool>();
        while (_clientRequestReplies.TryPeek(out var head) && !head.Relayed)
        {
            _clientRequestReplies.Dequeue();
            ready.Add(head.LocalAnswer);
        }

        return ready;
    }

    private readonly record struct PendingReply(bool Relayed, bool LocalAnswer);
}
