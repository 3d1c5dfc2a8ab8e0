using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Decides, atomically with respect to both relay directions, when a draining session may end. A session
/// may end only when every request that asks for a ReadyForQuery (Query, Sync, FunctionCall) has had its
/// answer and the server is outside a transaction — and from that moment no further client message is
/// forwarded. Ending it otherwise could tell a client "terminated" about a statement the server committed.
/// </summary>
internal sealed class DrainGate
{
    private readonly Lock _lock = new();
    private int _pendingReadyForQuery;
    private TransactionStatus _status;
    private bool _draining;
    private volatile bool _closing;

    public DrainGate(TransactionStatus initialStatus)
    {
        _status = initialStatus;
    }

    /// <summary>The session is ending: the client relay forwards nothing more.</summary>
    public bool IsClosing => _closing;

    /// <summary>The client relay is about to forward a message that the server answers with ReadyForQuery; false when the session is closing.</summary>
    public bool TryBeginRequest()
    {
        lock (_lock)
        {
            if (_closing)
            {
                return false;
            }

            _pendingReadyForQuery++;
            return true;
        }
    }

    /// <summary>The server said ReadyForQuery; true when the session must end right after it.</summary>
    public bool OnReadyForQuery(TransactionStatus status)
    {
        lock (_lock)
        {
            _pendingReadyForQuery = Math.Max(0, _pendingReadyForQuery - 1);
            _status = status;
            return CloseIfIdle();
        }
    }

    /// <summary>The proxy is shutting down; true when the session is idle now and must end at once.</summary>
    public bool BeginDrain()
    {
        lock (_lock)
        {
            _draining = true;
            return CloseIfIdle();
        }
    }

    private bool CloseIfIdle()
    {
        if (_draining && _pendingReadyForQuery == 0 && _status == TransactionStatus.Idle)
        {
            _closing = true;
        }

        return _closing;
    }
}
