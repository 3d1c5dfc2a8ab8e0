using System.Buffers;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>Client-to-server side: counts requests for the drain gate and ends the session on Terminate.</summary>
internal sealed class FrontendObserver : IMessageObserver
{
    private readonly DrainGate _gate;

    public FrontendObserver(DrainGate gate)
    {
        _gate = gate;
    }

    public bool OnMessageStart(byte code) => code switch
    {
        (byte)FrontendMessageCode.Query or (byte)FrontendMessageCode.Sync or (byte)FrontendMessageCode.FunctionCall => _gate.TryBeginRequest(),
        _ => !_gate.IsClosing,
    };

    public bool WantsMessage(byte code) => code == (byte)FrontendMessageCode.Terminate;

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body) => false;
}

/// <summary>Server-to-client side: reports each ReadyForQuery to the drain gate, which may end the session right after it.</summary>
internal sealed class BackendObserver : IMessageObserver
{
    private readonly DrainGate _gate;

    public BackendObserver(DrainGate gate)
    {
        _gate = gate;
    }

    public bool OnMessageStart(byte code) => true;

    public bool WantsMessage(byte code) => code == (byte)BackendMessageCode.ReadyForQuery;

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body) =>
        !ReadyForQuery.TryParse(body, out var ready) || !_gate.OnReadyForQuery(ready.Status);
}
