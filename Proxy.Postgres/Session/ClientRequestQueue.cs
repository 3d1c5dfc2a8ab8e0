using System.Collections.Concurrent;
using HoopProxy.Postgres.Protocol;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// The client's requests in the order the server will answer them. The client relay appends (before forwarding);
/// the server relay reads and completes them. It also knows which requests the server will never answer, so the
/// pairing cannot drift: after an error in the extended protocol the server skips everything up to Sync (also a
/// Query or FunctionCall sent before it), and during COPY FROM STDIN it ignores Sync (libpq sends one right after the
/// Execute that starts the COPY, and another after CopyDone).
/// </summary>
internal sealed class ClientRequestQueue
{
    private readonly ConcurrentQueue<ClientRequest> _incoming = new();

    // Server side only.
    private readonly List<ClientRequest> _pending = [];
    private int _head;
    private bool _skippingToSync;
    private bool _inCopyIn;

    /// <summary>Client side: a request on its way to the server.</summary>
    public void Add(ClientRequest request) => _incoming.Enqueue(request);

    /// <summary>The oldest request the server has not finished answering; null when none is known.</summary>
    public ClientRequest? Head
    {
        get
        {
            Pull();
            return _head < _pending.Count ? _pending[_head] : null;
        }
    }

    /// <summary>
    /// The answer to <typeparamref name="TRequest"/> arrived. Any other head means the proxy no longer knows which
    /// answer belongs to which request: masking could then apply the wrong description to rows, so the session ends.
    /// </summary>
    public void Complete<TRequest>()
        where TRequest : ClientRequest
    {
        if (Head is not TRequest)
        {
            throw OutOfStep(typeof(TRequest).Name, Head);
        }

        Advance();
    }

    /// <summary>An error ended the head request: a batch-ending one stays for its ReadyForQuery; otherwise the server skips to Sync.</summary>
    public void OnError()
    {
        if (Head is null or QueryRequest or FunctionCallRequest)
        {
            return;
        }

        while (Head is { } request && request is not SyncRequest)
        {
            Advance();
        }

        // The Sync may not have been sent yet: what arrives before it will be skipped by the server too.
        _skippingToSync = Head is null;
    }

    /// <summary>ReadyForQuery: the batch up to and including its Sync, Query or FunctionCall is done.</summary>
    public void OnReadyForQuery()
    {
        while (Head is { } request)
        {
            Advance();
            if (request.EndsBatch)
            {
                return;
            }
        }
    }

    /// <summary>CopyInResponse: until the client ends the COPY, the server ignores its Syncs.</summary>
    public void OnCopyInStarted()
    {
        Pull();
        _inCopyIn = true;
        for (var i = _pending.Count - 1; i > _head; i--)
        {
            if (_pending[i] is SyncRequest)
            {
                _pending.RemoveAt(i);
            }
        }
    }

    public static PostgresProtocolException OutOfStep(string expected, ClientRequest? head) =>
        new(SqlState.ProtocolViolation, $"masking lost track of the client's requests (expected an answer to {expected}, the oldest open request is {head?.GetType().Name ?? "none"}); the session is ended rather than risk unmasked rows");

    private void Pull()
    {
        while (_incoming.TryDequeue(out var request))
        {
            if (request is CopyEndRequest)
            {
                _inCopyIn = false;
                continue;
            }

            if ((_inCopyIn && request is SyncRequest) || (_skippingToSync && request is not SyncRequest))
            {
                continue;
            }

            _skippingToSync = false;
            _pending.Add(request);
        }
    }

    private void Advance()
    {
        _head++;
        if (_head == _pending.Count)
        {
            _pending.Clear();
            _head = 0;
        }
    }
}
