using System.Buffers;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>Client-to-server side: notices Terminate, so the session ends as soon as the client says goodbye.</summary>
internal sealed class FrontendObserver : IMessageObserver
{
    public long MessagesForwarded { get; private set; }

    public bool WantsMessage(byte code)
    {
        MessagesForwarded++;
        return code == (byte)FrontendMessageCode.Terminate;
    }

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body) => false;
}

/// <summary>
/// Server-to-client side: follows ReadyForQuery, so a draining proxy can end the session at the first
/// moment the server is idle and no client message is on its way.
/// </summary>
internal sealed class BackendObserver : IMessageObserver
{
    private readonly FrontendObserver _frontend;
    private long _frontendCountAtReady = -1;

    public BackendObserver(FrontendObserver frontend)
    {
        _frontend = frontend;
    }

    public bool Draining { get; set; }

    /// <summary>The server's last word was ReadyForQuery(idle) and the client has sent nothing since.</summary>
    public bool IsIdle => _frontendCountAtReady == _frontend.MessagesForwarded;

    public bool WantsMessage(byte code) => code == (byte)BackendMessageCode.ReadyForQuery;

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body)
    {
        if (ReadyForQuery.TryParse(body, out var ready) && ready.Status == TransactionStatus.Idle)
        {
            _frontendCountAtReady = _frontend.MessagesForwarded;
            return !Draining;
        }

        _frontendCountAtReady = -1;
        return true;
    }

    public void MarkReady(TransactionStatus status) =>
        _frontendCountAtReady = status == TransactionStatus.Idle ? _frontend.MessagesForwarded : -1;
}
