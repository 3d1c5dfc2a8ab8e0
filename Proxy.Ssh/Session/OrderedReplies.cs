namespace HoopProxy.Ssh.Session;

/// <summary>
/// Keeps replies to a peer's requests in the order of the requests (RFC 4254 §4 for global requests, §5.4 for channel
/// requests) when some are relayed (the far peer answers) and the proxy answers others itself: the proxy's own answers
/// wait behind the relayed ones before them. <typeparamref name="T"/> is what a reply carries. Callers serialise calls.
/// </summary>
internal sealed class OrderedReplies<T>
{
    private readonly Queue<(bool Relayed, T LocalAnswer)> _pending = new();

    /// <summary>A request arrived; returns the replies that can be sent now, in order.</summary>
    /// <param name="relayed">True when the far peer will answer it; otherwise <paramref name="localAnswer"/> is the proxy's.</param>
    public IReadOnlyList<T> RequestSent(bool relayed, T localAnswer)
    {
        _pending.Enqueue((relayed, localAnswer));
        return TakeReady();
    }

    /// <summary>
    /// The far peer answered the oldest relayed request; returns the replies now due, in order, or null when no relayed
    /// request was waiting (the far peer broke the protocol).
    /// </summary>
    public IReadOnlyList<T>? Replied(T reply)
    {
        if (!_pending.TryPeek(out var head) || !head.Relayed)
        {
            return null;
        }

        _pending.Dequeue();
        var ready = new List<T> { reply };
        ready.AddRange(TakeReady());
        return ready;
    }

    private List<T> TakeReady()
    {
        var ready = new List<T>();
        while (_pending.TryPeek(out var head) && !head.Relayed)
        {
            _pending.Dequeue();
            ready.Add(head.LocalAnswer);
        }

        return ready;
    }
}
