using HoopProxy.Postgres.Masking.Wire;
using System.Buffers;
using System.Collections.Concurrent;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Protocol.Frontend;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Session.Audit;

/// <summary>
/// Turns a session's messages into "statement" and "outcome" events. The client side names each statement when
/// the message that runs it passes (a Query's statements, an Execute, a FunctionCall); the server side pairs the
/// answers with them in order, as PostgreSQL answers in order. Sync and Query end a batch: an error skips the
/// rest of its batch, and those statements get a "not-run" outcome at the batch's ReadyForQuery.
/// </summary>
/// <remarks>
/// The two directions run on different threads. The client side only appends to <see cref="_awaiting"/>, the
/// server side only takes from it, and a statement is appended before its message is forwarded, so the server
/// cannot answer one that is not there yet.
/// </remarks>
internal sealed class StatementAudit
{
    private readonly ConcurrentQueue<Awaited> _awaiting = new();
    private readonly Dictionary<string, PreparedText> _prepared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BoundPortal> _portals = new(StringComparer.Ordinal);
    private long _nextSequence = 1;

    /// <param name="clientEdits">The client relay's edits, where statement events go; shared with the statement guard.</param>
    public StatementAudit(RelayEdits clientEdits, RelayEdits serverEdits)
    {
        ClientEdits = clientEdits;
        ServerEdits = serverEdits;
    }

    /// <summary>A statement waiting for its answer, or the end of a batch (Sync, or the end of a Query).</summary>
    private readonly record struct Awaited(long Sequence, bool EndsBatch, bool LastOfQuery = false);

    /// <summary>Server side only: the last statement of the current simple Query once it has had an answer.</summary>
    private long? _lastOfQueryAnswered;

    private sealed record PreparedText(string Text, long TextBytes, SqlAnalysis Analysis);

    private sealed record BoundPortal(string StatementName, PreparedText? Statement, string?[] Parameters);

    private RelayEdits ClientEdits { get; }

    private RelayEdits ServerEdits { get; }

    public static bool IsClientMessageAudited(byte code) => (FrontendMessageCode)code is
        FrontendMessageCode.Query or FrontendMessageCode.Parse or FrontendMessageCode.Bind or FrontendMessageCode.Execute
        or FrontendMessageCode.Close or FrontendMessageCode.Sync or FrontendMessageCode.FunctionCall;

    public static bool IsServerMessageAudited(byte code) => (BackendMessageCode)code is
        BackendMessageCode.CommandComplete or BackendMessageCode.ErrorResponse or BackendMessageCode.EmptyQueryResponse
        or BackendMessageCode.PortalSuspended or BackendMessageCode.FunctionCallResponse or BackendMessageCode.ReadyForQuery;

    /// <summary>A client message on its way to the server.</summary>
    /// <param name="statement">For a Query or Parse: its text and analysis, decoded once for every observer.</param>
    public void OnClientMessage(byte code, in ReadOnlySequence<byte> body, ClientStatement? statement)
    {
        switch ((FrontendMessageCode)code)
        {
            case FrontendMessageCode.Query when statement is { } query:
                OnQuery(query);
                break;
            case FrontendMessageCode.Parse when statement is { StatementName: { } statementName } parsed:
                _prepared[statementName] = new PreparedText(parsed.Text, parsed.Utf8Length, parsed.Analysis);
                break;
            case FrontendMessageCode.Bind when Bind.TryParse(body, out var bind):
                _portals[bind.PortalName] = new BoundPortal(bind.StatementName, _prepared.GetValueOrDefault(bind.StatementName),
                    AuditedValues.From(bind.Parameters, bind.ParameterFormats));
                break;
            case FrontendMessageCode.Execute when Execute.TryParse(body, out var execute):
                OnExecute(execute);
                break;
            case FrontendMessageCode.Close when Close.TryParse(body, out var close):
                // Named statements and portals live until closed; the unnamed ones are replaced by the next Parse/Bind.
                _ = close.Target == DescribeTarget.Statement ? _prepared.Remove(close.Name) : _portals.Remove(close.Name);
                break;
            case FrontendMessageCode.Sync:
                _awaiting.Enqueue(new Awaited(0, EndsBatch: true));
                break;
            case FrontendMessageCode.FunctionCall when FunctionCall.TryParse(body, out var call):
                var sequence = Begin();
                ClientEdits.Add(new StatementEvent { Sequence = sequence, Protocol = StatementProtocol.FunctionCall, Text = "", FunctionOid = call.FunctionOid });
                _awaiting.Enqueue(new Awaited(0, EndsBatch: true));
                break;
        }
    }

    /// <summary>
    /// A message too large to hold whole streams through unseen (its bytes are still recorded). A Query or Execute
    /// still gets its place in the sequence, so the answers that follow are paired with the right statements.
    /// </summary>
    public void OnClientMessageUninspected(byte code, int bodyLength)
    {
        switch ((FrontendMessageCode)code)
        {
            case FrontendMessageCode.Query:
                var sequence = Begin(lastOfQuery: true);
                ClientEdits.Add(new StatementEvent
                {
                    Sequence = sequence,
                    Protocol = StatementProtocol.Simple,
                    Text = $"(a {bodyLength}-byte query, larger than the proxy inspects; its bytes follow in the recording)",
                    Uninspected = true,
                });
                _awaiting.Enqueue(new Awaited(0, EndsBatch: true));
                break;
            case FrontendMessageCode.Parse or FrontendMessageCode.Bind:
                // Its statement or portal name is unknown, so a later Execute of it reads "not seen by the proxy".
                break;
        }
    }

    /// <summary>Only an error or notice text can make a server message this large: the statement still gets its answer.</summary>
    public void OnServerMessageUninspected(byte code, int bodyLength)
    {
        if ((BackendMessageCode)code == BackendMessageCode.ErrorResponse)
        {
            ServerEdits.Add(new OutcomeEvent { Sequence = Answer(), Status = "error", Message = $"(a {bodyLength}-byte error, larger than the proxy inspects)" });
        }
    }

    /// <summary>One event per statement of the text, as the server will run them; one for the whole text when it does not parse.</summary>
    private void OnQuery(ClientStatement query)
    {
        var analysis = query.Analysis;
        if (!analysis.Parsed || analysis.Statements.Count == 0)
        {
            ClientEdits.Add(new StatementEvent
            {
                Sequence = Begin(lastOfQuery: true),
                Protocol = StatementProtocol.Simple,
                Text = query.Text,
                TextBytes = query.Utf8Length,
                ParseError = analysis.Error,
            });
        }
        else
        {
            for (var i = 0; i < analysis.Statements.Count; i++)
            {
                var statement = analysis.Statements[i];
                ClientEdits.Add(new StatementEvent
                {
                    Sequence = Begin(lastOfQuery: i == analysis.Statements.Count - 1),
                    Protocol = StatementProtocol.Simple,
                    Text = statement.Text,
                    TextBytes = query.Utf8Length,
                    Info = statement,
                });
            }
        }

        _awaiting.Enqueue(new Awaited(0, EndsBatch: true));
    }

    private void OnExecute(Execute execute)
    {
        var portal = _portals.GetValueOrDefault(execute.PortalName);
        var sequence = Begin();
        ClientEdits.Add(new StatementEvent
        {
            Sequence = sequence,
            Protocol = StatementProtocol.Extended,
            // A portal the proxy never saw bound (it failed to parse) still gets an event: the server will answer it.
            Text = portal?.Statement?.Text ?? $"(statement \"{portal?.StatementName ?? "?"}\" not seen by the proxy)",
            TextBytes = portal?.Statement?.TextBytes ?? 0,
            StatementName = portal?.StatementName is { Length: > 0 } name ? name : null,
            PortalName = execute.PortalName.Length > 0 ? execute.PortalName : null,
            Parameters = portal?.Parameters,
            Info = portal?.Statement?.Analysis is { Parsed: true, Statements: [var only] } ? only : null,
            ParseError = portal?.Statement?.Analysis.Error,
        });
    }

    /// <summary>Numbers a statement and queues it for its answer.</summary>
    private long Begin(bool lastOfQuery = false)
    {
        var sequence = _nextSequence++;
        _awaiting.Enqueue(new Awaited(sequence, EndsBatch: false, lastOfQuery));
        return sequence;
    }

    /// <summary>A server message on its way to the client.</summary>
    /// <param name="masked">What masking hid in the answer this message completes.</param>
    public void OnServerMessage(byte code, in ReadOnlySequence<byte> body, MaskCounts? masked = null)
    {
        switch ((BackendMessageCode)code)
        {
            case BackendMessageCode.CommandComplete when CommandComplete.TryParse(body, out var complete):
                ServerEdits.Add(new OutcomeEvent
                {
                    Sequence = Answer(),
                    Masked = masked,
                    Status = "ok",
                    CommandTag = complete.Tag,
                    Rows = complete.TryGetRowCount(out var rows) ? rows : null,
                });
                break;
            case BackendMessageCode.ErrorResponse when ErrorResponse.TryParse(body, out var error):
                ServerEdits.Add(new OutcomeEvent
                {
                    Sequence = Answer(),
                    Masked = masked,
                    Status = "error",
                    SqlState = error.SqlState,
                    Severity = error.Severity,
                    Message = error.Message,
                });
                break;
            case BackendMessageCode.EmptyQueryResponse:
                ServerEdits.Add(new OutcomeEvent { Sequence = Answer(), Status = "empty", Masked = masked });
                break;
            case BackendMessageCode.PortalSuspended:
                ServerEdits.Add(new OutcomeEvent { Sequence = Answer(), Status = "suspended", Masked = masked });
                break;
            case BackendMessageCode.FunctionCallResponse:
                ServerEdits.Add(new OutcomeEvent { Sequence = Answer(), Status = "ok", Masked = masked });
                break;
            case BackendMessageCode.ReadyForQuery:
                EndBatch();
                break;
        }
    }

    /// <summary>
    /// The statement an answer belongs to: the oldest unanswered one of the current batch. The last statement of
    /// a simple Query stays until ReadyForQuery, because the server may split a text the proxy took as one
    /// statement into several, each with its own CommandComplete.
    /// </summary>
    private long? Answer()
    {
        if (!_awaiting.TryPeek(out var head) || head.EndsBatch)
        {
            return _lastOfQueryAnswered;
        }

        if (head.LastOfQuery)
        {
            _lastOfQueryAnswered = head.Sequence;
        }
        else
        {
            _awaiting.TryDequeue(out _);
        }

        return head.Sequence;
    }

    /// <summary>ReadyForQuery: whatever of the batch has no answer was skipped by an error.</summary>
    private void EndBatch()
    {
        while (_awaiting.TryDequeue(out var awaited) && !awaited.EndsBatch)
        {
            if (awaited.Sequence != _lastOfQueryAnswered)
            {
                ServerEdits.Add(new OutcomeEvent { Sequence = awaited.Sequence, Status = "not-run", Message = "skipped: an earlier statement in the batch failed" });
            }
        }

        _lastOfQueryAnswered = null;
    }
}
