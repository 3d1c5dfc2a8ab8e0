using System.Buffers;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>Client-to-server side: notices Terminate, so the session ends as soon as the client says goodbye.</summary>
internal sealed class FrontendObserver : IMessageObserver
{
    public bool WantsMessage(byte code) => code == (byte)FrontendMessageCode.Terminate;

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body) => false;
}

/// <summary>
/// Server-to-client side: follows ReadyForQuery, so a draining proxy can end the session at the first
/// moment the server is idle and no client message is on its way.
/// </summary>
internal sealed class BackendObserver : IMessageObserver
{
    private readonly Func<long> _clientMessageCount;
    private long _clientCountAtReady = -1;
    private volatile bool _draining;

    /// <param name="clientMessageCount">How many messages the client has sent so far (the client relay's count).</param>
    public BackendObserver(Func<long> clientMessageCount)
    {
        _clientMessageCount = clientMessageCount;
    }

    /// <summary>Set from the shutdown callback's thread; read by the relay's.</summary>
    public bool Draining
    {
        get => _draining;
        set => _draining = value;
    }

    /// <summary>The server's last word was ReadyForQuery(idle) and the client has sent nothing since.</summary>
    public bool IsIdle => Volatile.Read(ref _clientCountAtReady) == _clientMessageCount();

    public bool WantsMessage(byte code) => code == (byte)BackendMessageCode.ReadyForQuery;

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body)
    {
        if (ReadyForQuery.TryParse(body, out var ready) && ready.Status == TransactionStatus.Idle)
        {
            Volatile.Write(ref _clientCountAtReady, _clientMessageCount());
            return !Draining;
        }

        Volatile.Write(ref _clientCountAtReady, -1);
        return true;
    }

    public void MarkReady(TransactionStatus status) =>
        Volatile.Write(ref _clientCountAtReady, status == TransactionStatus.Idle ? _clientMessageCount() : -1);
}
