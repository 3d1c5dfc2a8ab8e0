using System.Buffers;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Session.Audit;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Client-to-server side: counts requests for the drain gate, names statements for the audit, applies the statement
/// policy, ends the session on Terminate.
/// </summary>
internal sealed class FrontendObserver : IMessageObserver
{
    private readonly DrainGate _gate;
    private readonly StatementAudit? _audit;
    private readonly StatementGuard? _guard;
    private readonly SqlAnalyzer? _analyzer;
    private readonly ResultMasker? _masker;

    public FrontendObserver(DrainGate gate, StatementAudit? audit = null, StatementGuard? guard = null, SqlAnalyzer? analyzer = null,
        ResultMasker? masker = null)
    {
        _gate = gate;
        _audit = audit;
        _guard = guard;
        _analyzer = analyzer;
        _masker = masker;
    }

    public bool OnMessageStart(byte code) => code switch
    {
        (byte)FrontendMessageCode.Query or (byte)FrontendMessageCode.Sync or (byte)FrontendMessageCode.FunctionCall => _gate.TryBeginRequest(),
        _ => !_gate.IsClosing,
    };

    public bool WantsMessage(byte code) =>
        code == (byte)FrontendMessageCode.Terminate
        || (_audit is not null && StatementAudit.IsClientMessageAudited(code))
        || (_guard is not null && StatementGuard.IsClientMessageGuarded(code))
        || (_masker is not null && ResultMasker.IsClientMessageTracked(code));

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body)
    {
        if (code == (byte)FrontendMessageCode.Terminate)
        {
            return false;
        }

        var statement = NeedsStatement(code) ? ClientStatement.From(code, body, _analyzer!) : null;
        _guard?.OnClientMessage(code, body, statement);
        if (_guard?.IsHolding != true)
        {
            // A held message is seen again once decided; the audit records it then, once, as it is forwarded.
            _audit?.OnClientMessage(code, body, statement);
            _masker?.OnClientMessage(code, body, statement);
        }

        return true;
    }

    /// <summary>
    /// The audit reads every statement; the guard every Query while rules are in force, and every Parse (it keeps what
    /// each prepared statement runs, for EXECUTE and Bind after a rule change). Without either nothing is decoded.
    /// </summary>
    private bool NeedsStatement(byte code) => _analyzer is not null && (FrontendMessageCode)code switch
    {
        FrontendMessageCode.Query => _audit is not null || _guard?.Enforcing == true || _masker is not null,
        FrontendMessageCode.Parse => _audit is not null || _guard is not null || _masker is not null,
        _ => false,
    };

    /// <summary>
    /// A message too large to hold whole: the audit notes what it could not see; a statement the policy cannot read
    /// is not let through (fail closed), which ends the session with an error naming the limit.
    /// </summary>
    public UninspectableAction OnUninspectable(byte code, int bodyLength)
    {
        if (_guard?.Enforcing == true && (FrontendMessageCode)code is FrontendMessageCode.Query or FrontendMessageCode.Parse or FrontendMessageCode.FunctionCall)
        {
            // A statement the policy cannot read does not pass. (A large Bind does: its statement was judged at Parse.)
            return UninspectableAction.Fail;
        }

        // Masking still counts it among the requests, knowing it cannot tell what it names.
        _masker?.OnClientMessageUninspected(code);

        _audit?.OnClientMessageUninspected(code, bodyLength);
        return code != (byte)FrontendMessageCode.Terminate ? UninspectableAction.Forward : UninspectableAction.Fail;
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
    private readonly StatementGuard? _guard;
    private readonly ResultMasker? _masker;
    private readonly SchemaChangeWatcher? _schemaChanges;

    public BackendObserver(DrainGate gate, StatementAudit? audit = null, StatementGuard? guard = null, ResultMasker? masker = null,
        SchemaChangeWatcher? schemaChanges = null)
    {
        _gate = gate;
        _audit = audit;
        _guard = guard;
        _masker = masker;
        _schemaChanges = schemaChanges;
    }

    public bool OnMessageStart(byte code) => true;

    public bool WantsMessage(byte code) =>
        code == (byte)BackendMessageCode.ReadyForQuery
        || (_audit is not null && StatementAudit.IsServerMessageAudited(code))
        || (_guard is not null && StatementGuard.IsServerMessageGuarded(code))
        || (_masker is not null && _masker.WantsServerMessage(code))
        || (_schemaChanges is not null && SchemaChangeWatcher.IsWatched(code));

    public bool OnMessage(byte code, in ReadOnlySequence<byte> body)
    {
        // The guard first: the audit's outcome must say what the client got, the policy's error, not the stand-in's.
        // (The guard only acts on errors, settings and ReadyForQuery, which masking never holds, so seeing a held
        // message twice does not matter to it.)
        var replaced = _guard?.OnServerMessage(code, body);
        var masked = _masker?.OnServerMessage(code, body, replacedByProxy: replaced is not null) ?? default;
        if (masked.Held)
        {
            return true;
        }

        _schemaChanges?.OnServerMessage(code, body);

        if (replaced is not null)
        {
            var buffer = new ArrayBufferWriter<byte>();
            replaced.WriteTo(buffer);
            _audit?.OnServerMessage(code, new ReadOnlySequence<byte>(buffer.WrittenMemory[MessageHeader.Size..]), masked.Counts);
            return true;
        }

        // The audit records what the client got: a masked error's text, never the original.
        _audit?.OnServerMessage(code, masked.Body ?? body, masked.Counts);
        return code != (byte)BackendMessageCode.ReadyForQuery
            || !ReadyForQuery.TryParse(body, out var ready) || !_gate.OnReadyForQuery(ready.Status);
    }

    /// <summary>ReadyForQuery is six bytes; an error with a long text, a large row or COPY line (when masking) can be too large to hold.</summary>
    public UninspectableAction OnUninspectable(byte code, int bodyLength)
    {
        _audit?.OnServerMessageUninspected(code, bodyLength);
        if (_masker is not null)
        {
            return _masker.OnServerMessageUninspectable(code, bodyLength);
        }

        return code != (byte)BackendMessageCode.ReadyForQuery ? UninspectableAction.Forward : UninspectableAction.Fail;
    }
}
