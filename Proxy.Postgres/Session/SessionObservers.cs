using System.Buffers;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Session.Audit;

namespace HoopProxy.Postgres.Session;

/// <summary>Client-to-server side: counts requests for the drain gate, names statements for the audit, ends the session on Terminate.</summary>
internal sealed class FrontendObserver : IMessageObserver
{
    private readonly DrainGate _gate;
    private readonly StatementAudit? _audit;

    public FrontendObserver(DrainGate gate, StatementAudit? audit = null)
    {
        _gate = gate;
        _audit = audit;
    }

    public bool OnMessageStart(byte code) => code switch
    {
        (byte)FrontendMessageCode.Query or (byte)FrontendMessageCode.Sync or (byte)FrontendMessageCode.FunctionCall => _gate.TryBeginRequest(),
        _ => !_gate.IsClosing,
    };

    public bool WantsMessage(byte code) =>
        code == (byte)FrontendMessageCode.Terminate || (_audit is not null && StatementAudit.IsClientMessageAudited(code));

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body)
    {
        if (code == (byte)FrontendMessageCode.Terminate)
        {
            return false;
        }

        _audit?.OnClientMessage(code, body);
        return true;
    }

    /// <summary>Only the audit wants messages that can be large (a Query, a Bind with big values): it notes what it could not see.</summary>
    public bool OnUninspectable(byte code, int bodyLength)
    {
        _audit?.OnClientMessageUninspected(code, bodyLength);
        return code != (byte)FrontendMessageCode.Terminate;
    }
}

/// <summary>
/// Server-to-client side: pairs answers with statements for the audit and reports each ReadyForQuery to the drain
/// gate, which may end the session right after it.
/// </summary>
internal sealed class BackendObserver : IMessageObserver
{
    private readonly DrainGate _gate;
    private readonly StatementAudit? _audit;

    public BackendObserver(DrainGate gate, StatementAudit? audit = null)
    {
        _gate = gate;
        _audit = audit;
    }

    public bool OnMessageStart(byte code) => true;

    public bool WantsMessage(byte code) =>
        code == (byte)BackendMessageCode.ReadyForQuery || (_audit is not null && StatementAudit.IsServerMessageAudited(code));

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body)
    {
        _audit?.OnServerMessage(code, body);
        return code != (byte)BackendMessageCode.ReadyForQuery
            || !ReadyForQuery.TryParse(body, out var ready) || !_gate.OnReadyForQuery(ready.Status);
    }

    /// <summary>ReadyForQuery is six bytes; only the audit's messages (an error with a long text) can be too large to hold.</summary>
    public bool OnUninspectable(byte code, int bodyLength)
    {
        _audit?.OnServerMessageUninspected(code, bodyLength);
        return code != (byte)BackendMessageCode.ReadyForQuery;
    }
}
