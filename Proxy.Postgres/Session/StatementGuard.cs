using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Policy;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Protocol.Frontend;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Applies the statement policy to one session. Every Query is judged whole (all its statements) before any of it
/// is forwarded; a Parse is judged when it arrives and its verdict follows the statement name; SQL-level EXECUTE is
/// judged by what its PREPARE defined.
/// </summary>
/// <remarks>
/// A blocked message is replaced by a stand-in the server is certain to reject at parse analysis
/// (<c>SELECT "hoopproxy-blocked-…"</c>, an undefined column). The server's own rejection keeps every protocol
/// rule intact — answers stay in order behind pipelined statements, an open transaction is aborted as by any
/// error, and in extended protocol the server discards until Sync and answers it — and the proxy only swaps that
/// error for its own 42501 naming the rule. The client never sees the stand-in; the recording keeps what the
/// client sent.
/// </remarks>
internal sealed class StatementGuard
{
    private readonly PolicySource _policies;
    private readonly PolicySubject _subject;
    private readonly PolicyAction _targetDefault;
    private readonly SqlAnalyzer _analyzer;
    private readonly RelayEdits _clientEdits;
    private readonly RelayEdits _serverEdits;
    private readonly string _marker;
    /// <summary>What each prepared statement of the session runs (SQL PREPARE and protocol Parse share the server's namespace).</summary>
    private readonly Dictionary<string, PreparedStatement> _prepared = new(StringComparer.Ordinal);

    /// <summary>What a prepared statement runs, and its verdict under the rules of <see cref="RulesVersion"/> (a Bind re-uses it until they change).</summary>
    private sealed class PreparedStatement(SqlAnalysis analysis)
    {
        public SqlAnalysis Analysis { get; } = analysis;
        public int RulesVersion { get; set; }
        public PolicyVerdict? Verdict { get; set; }
    }

    /// <summary>Query, Sync and FunctionCall messages sent (client side) and ReadyForQuery seen (server side): a stand-in's batch is over when its ReadyForQuery passed.</summary>
    private long _clientBatches;
    private long _serverBatches;
    private bool _resuming;
    private readonly ConcurrentDictionary<long, (long Batch, ErrorResponse Error)> _pendingRejections = new();
    private long _nextBlocked;
    private volatile string? _encodingProblem;
    private string? _serverEncoding = "UTF8";
    private string? _clientEncoding;
    private bool _conformingStrings = true;
    /// <summary>Session-scope approvals by statement text, with who granted them: one stops counting when its approver is revoked.</summary>
    private readonly Dictionary<string, (ApprovalRequest Request, ApprovalDecision Decision)> _approvedForSession = new(StringComparer.Ordinal);
    private volatile HeldStatement? _held;

    /// <summary>A statement waiting for approval; the relay shows it to the guard again once the decision is in.</summary>
    private sealed record HeldStatement(string Text, ApprovalRequest Request, Task<ApprovalDecision> Decision);

    public StatementGuard(PolicySource policies, PolicySubject subject, PolicyAction targetDefault, SqlAnalyzer analyzer, RelayEdits clientEdits, RelayEdits serverEdits)
    {
        _policies = policies;
        _subject = subject;
        _targetDefault = targetDefault;
        _analyzer = analyzer;
        _clientEdits = clientEdits;
        _serverEdits = serverEdits;
        // Unguessable per session, so no text a client or a table holds can be taken for a stand-in's rejection.
        _marker = "hoopproxy-blocked-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + "-";
    }

    /// <summary>Where Review statements wait for a decision; without one they are refused (fail closed).</summary>
    public ApprovalBroker? Approvals { get; init; }

    /// <summary>The session's recording id, shown to approvers.</summary>
    public string SessionId { get; init; } = "";

    /// <summary>Sends the proxy's own messages to the client (the notice that a statement waits for approval).</summary>
    public Action<byte[]>? NotifyClient { get; init; }

    /// <summary>Raised for every approval request and decision (the session logs them: the audit log).</summary>
    public Action<ApprovalRequest, ApprovalDecision?>? ApprovalChanged { get; init; }

    /// <summary>The client cancelled (CancelRequest) or went away: a statement waiting for approval is withdrawn.</summary>
    public void Withdraw(string reason)
    {
        if (_held is { } held && !held.Decision.IsCompleted)
        {
            Approvals?.Withdraw(held.Request.Id, reason);
        }
    }

    /// <summary>False while the rules in force could not refuse anything (none, and the target allows by default): no statement needs reading.</summary>
    public bool Enforcing => _policies.Current.Rules.Count > 0 || _targetDefault != PolicyAction.Allow;

    /// <summary>Raised for each decision that is not a plain allow, with the statement text: the session logs it.</summary>
    public Action<PolicyVerdict, string>? Decided { get; init; }

    public static bool IsClientMessageGuarded(byte code) => (FrontendMessageCode)code is FrontendMessageCode.Query or FrontendMessageCode.Parse
        or FrontendMessageCode.Bind or FrontendMessageCode.Close or FrontendMessageCode.Sync or FrontendMessageCode.FunctionCall;

    public static bool IsServerMessageGuarded(byte code) =>
        (BackendMessageCode)code is BackendMessageCode.ErrorResponse or BackendMessageCode.ParameterStatus or BackendMessageCode.ReadyForQuery;

    /// <summary>The settings the session started with (client_encoding, server_encoding, standard_conforming_strings).</summary>
    public void OnGreetingParameter(string name, string value) => OnParameter(name, value);

    /// <summary>True while the message being observed is held for approval: the relay shows it again once decided.</summary>
    public bool IsHolding => _clientEdits.HeldUntil is not null;

    /// <summary>A client message on its way: blocked ones are replaced by their stand-in.</summary>
    /// <param name="statement">For a Query or Parse: its text and analysis, decoded once for every observer.</param>
    public void OnClientMessage(byte code, in ReadOnlySequence<byte> body, ClientStatement? statement)
    {
        switch ((FrontendMessageCode)code)
        {
            case FrontendMessageCode.Query:
                if (statement is { } query && Pass(query.Text, query.Analysis) is { } refusal)
                {
                    Query.Write(_clientEdits.ReplaceMessage(), StandIn(refusal));
                }
                else if (statement is not null && !IsHolding)
                {
                    RememberPrepares(statement.Analysis);
                }

                EndBatchUnlessHeld();
                break;
            case FrontendMessageCode.Parse when statement is { StatementName: { } statementName } parsed:
                if (Pass(parsed.Text, parsed.Analysis) is { } parseRefusal)
                {
                    _prepared.Remove(statementName);
                    Protocol.Frontend.Parse.Write(_clientEdits.ReplaceMessage(), statementName, StandIn(parseRefusal), []);
                }
                else if (!IsHolding)
                {
                    // Protocol and SQL prepared statements share one namespace on the server, and here.
                    _prepared[statementName] = new PreparedStatement(parsed.Analysis);
                }

                break;
            case FrontendMessageCode.Bind when Enforcing && Bind.TryParse(body, out var bind):
                // A statement prepared before the rules changed is judged again each time it is bound: a rule added
                // since blocks it here. (Review is asked once, at Parse: an approved statement is not held again.)
                var (boundText, boundVerdict) = JudgeBind(bind.StatementName);
                if (boundVerdict is { Action: PolicyAction.Block } nowBlocked)
                {
                    Decide(nowBlocked, boundText);
                    Bind.Write(_clientEdits.ReplaceMessage(), bind.PortalName, StandInName(Refusal(nowBlocked)), [], [], []);
                }

                break;
            case FrontendMessageCode.Close when Close.TryParse(body, out var close) && close.Target == DescribeTarget.Statement:
                _prepared.Remove(close.Name);
                break;
            case FrontendMessageCode.Sync:
                EndBatchUnlessHeld();
                break;
            case FrontendMessageCode.FunctionCall:
                var callText = $"(fast-path function call, function OID {(FunctionCall.TryParse(body, out var call) ? call.FunctionOid : 0)})";
                if (Enforcing && Pass(callText, UnknownStatement(callText, "FUNCTION CALL")) is { } callRefusal)
                {
                    // Answered like a failed call: the server's error (swapped for the policy's) and ReadyForQuery.
                    Query.Write(_clientEdits.ReplaceMessage(), StandIn(callRefusal));
                }

                EndBatchUnlessHeld();
                break;
        }
    }

    /// <summary>
    /// The verdict for binding a prepared statement: judged once per rules version (a statement bound thousands of
    /// times costs a lookup each time); one the proxy never saw prepared is judged as SQL it cannot see.
    /// </summary>
    private (string Text, PolicyVerdict Verdict) JudgeBind(string statementName)
    {
        if (!_prepared.TryGetValue(statementName, out var prepared))
        {
            var unknown = UnknownStatement($"(bind of statement \"{statementName}\" prepared while no rule was in force)");
            return (unknown.Statements[0].Text, Judge(unknown.Statements[0].Text, unknown, recordDecision: false));
        }

        var text = prepared.Analysis.Statements.Count == 1 ? prepared.Analysis.Statements[0].Text : "";
        var version = _policies.Version;
        if (prepared.Verdict is null || prepared.RulesVersion != version || _encodingProblem is not null)
        {
            prepared.Verdict = Judge(text, prepared.Analysis, recordDecision: false);
            prepared.RulesVersion = version;
        }

        return (text, prepared.Verdict);
    }

    /// <summary>Counts a message that the server answers with ReadyForQuery, once it is forwarded (a held one is seen again).</summary>
    private void EndBatchUnlessHeld()
    {
        if (!IsHolding)
        {
            _clientBatches++;
        }
    }

    /// <summary>
    /// Judges and enforces one statement-bearing message; null lets it pass. A message resumed after its approval
    /// wait takes the decision (whatever the rules say now) and is not judged, logged or recorded a second time.
    /// </summary>
    private ErrorResponse? Pass(string text, SqlAnalysis analysis)
    {
        var resumed = _held is { } held && held.Decision.IsCompleted ? held : null;
        _held = null;
        _resuming = resumed is not null;
        try
        {
            return Enforce(Judge(text, analysis), text, resumed);
        }
        finally
        {
            _resuming = false;
        }
    }

    /// <summary>
    /// What the proxy cannot see into — a FunctionCall by OID, a prepared statement it never read — judged as SQL
    /// known only at run time: every Block (or Review) rule that applies to the user matches it.
    /// </summary>
    private static SqlAnalysis UnknownStatement(string text, string commandTag = "EXECUTE") => new(true, null,
    [
        new StatementInfo
        {
            Text = text,
            Class = commandTag == "FUNCTION CALL" ? StatementClass.Function : StatementClass.Misc,
            CommandTag = commandTag,
            EffectiveCommands = [commandTag],
            EffectiveClasses = [commandTag == "FUNCTION CALL" ? StatementClass.Function : StatementClass.Misc],
            RelationsRead = [],
            RelationsWritten = [],
            HasUnqualifiedRelations = false,
            Functions = [],
            HasDynamicSql = true,
            ReachesOutside = false,
            PreparedName = null,
            IsExecute = false,
            Settings = [],
            Unrecognised = false,
        },
    ]);

    /// <summary>
    /// What happens to a judged message: null lets it pass; an error refuses it. A Review verdict holds the message
    /// for approval (null, with the relay told to wait) and, once decided, passes it or refuses it.
    /// </summary>
    private ErrorResponse? Enforce(PolicyVerdict verdict, string text, HeldStatement? resumed)
    {
        if (resumed is not null)
        {
            // The decision stands even if the rules changed while it was awaited: the approver judged this statement.
            return verdict.Action == PolicyAction.Block ? Refusal(verdict) : Concluded(resumed, resumed.Decision.Result, text);
        }

        switch (verdict.Action)
        {
            case PolicyAction.Allow:
                return null;
            case PolicyAction.Block:
                return Refusal(verdict);
        }

        if (_approvedForSession.TryGetValue(text, out var standing) && standing.Decision.ValidUntil is { } until && until > DateTimeOffset.UtcNow)
        {
            if (Approvals?.Honours(standing.Request, standing.Decision) != false)
            {
                _clientEdits.Add(new ApprovalEvent("reused", null, $"approved for this session until {until:O}"));
                return null;
            }

            // Forgotten for good: taking the approver off the revocation list later does not bring it back.
            _approvedForSession.Remove(text);
            _clientEdits.Add(new ApprovalEvent("approver-revoked", standing.Request, $"approved for this session by {standing.Decision.DecidedBy}, whose credentials have been revoked; asking again", standing.Decision));
        }

        if (Approvals is not { } broker || verdict.Rule is not { } rule)
        {
            return ErrorResponse.Create("ERROR", SqlState.InsufficientPrivilege,
                $"statement needs approval under policy rule \"{verdict.RuleName}\", and no approval broker is running",
                verdict.Reason, "configure the Admin section so that approvers can decide");
        }

        var (request, decision) = broker.Submit(SessionId, "postgres", _subject.Target, _subject.User, text, rule.Name, rule.Approvers, rule.Timeout);
        _held = new HeldStatement(text, request, decision);
        _clientEdits.Add(new ApprovalEvent("requested", request, $"rule \"{rule.Name}\"; approvers {string.Join(", ", rule.Approvers)}; expires {request.ExpiresAt:O}"));
        ApprovalChanged?.Invoke(request, null);
        _clientEdits.Hold(decision);
        NotifyClient?.Invoke(WaitingNotice(request, rule));
        return null;
    }

    /// <summary>The decision on a held statement: approved runs it (and may let it run again in this session), anything else refuses it.</summary>
    private ErrorResponse? Concluded(HeldStatement held, ApprovalDecision decision, string text)
    {
        var request = held.Request;
        _clientEdits.Add(new ApprovalEvent(decision.Outcome.ToString().ToLowerInvariant(), request, decision.Reason, decision));
        ApprovalChanged?.Invoke(request, decision);
        switch (decision.Outcome)
        {
            case ApprovalOutcome.Approved when Approvals?.Honours(request, decision) == false:
                // Revoked between the decision and this resumption: the approval must not count, even once.
                return ErrorResponse.Create("ERROR", SqlState.InsufficientPrivilege, $"statement not approved: the credentials of {decision.DecidedBy} have been revoked (request {request.Id})",
                    null, $"policy rule \"{request.Rule}\" holds it for approval");
            case ApprovalOutcome.Approved:
                if (decision.Scope == ApprovalScope.Session && decision.ValidUntil is not null)
                {
                    _approvedForSession[text] = (request, decision);
                }

                return null;
            case ApprovalOutcome.Withdrawn:
                // What the client asked for with its CancelRequest, in the words PostgreSQL uses.
                return ErrorResponse.Create("ERROR", SqlState.QueryCanceled, "canceling statement due to user request",
                    $"approval request {request.Id} was withdrawn: {decision.Reason}");
            case ApprovalOutcome.Denied:
                return ErrorResponse.Create("ERROR", SqlState.InsufficientPrivilege, $"statement denied by {decision.DecidedBy} (request {request.Id})",
                    decision.Reason, $"policy rule \"{request.Rule}\" holds it for approval");
            default:
                return ErrorResponse.Create("ERROR", SqlState.InsufficientPrivilege, $"statement not approved in time (request {request.Id})",
                    decision.Reason, $"policy rule \"{request.Rule}\" holds it for approval");
        }
    }

    private static byte[] WaitingNotice(ApprovalRequest request, PolicyRule rule)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new NoticeResponse(ErrorResponse.Create("NOTICE", "01000",
            $"statement held for approval: request {request.Id} under policy rule \"{rule.Name}\"",
            $"an approver ({string.Join(", ", rule.Approvers)}) can run: hoopproxy approvals approve {request.Id} --config <proxy config>",
            $"waiting until {request.ExpiresAt:HH:mm:ss} UTC; cancel the statement to withdraw the request")).WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A server message on its way: a stand-in's rejection becomes the policy's error; setting changes are watched.</summary>
    public ErrorResponse? OnServerMessage(byte code, in ReadOnlySequence<byte> body)
    {
        switch ((BackendMessageCode)code)
        {
            case BackendMessageCode.ErrorResponse when ErrorResponse.TryParse(body, out var error) && TakeRejection(error) is { } replacement:
                replacement.WriteTo(_serverEdits.ReplaceMessage());
                return replacement;
            case BackendMessageCode.ParameterStatus when ParameterStatus.TryParse(body, out var parameter):
                OnParameter(parameter.Name, parameter.Value);
                break;
            case BackendMessageCode.ReadyForQuery:
                ForgetAnsweredBatches();
                break;
        }

        return null;
    }

    /// <param name="recordDecision">False when only a Block would act (a Bind): the caller records that one itself.</param>
    /// <summary>
    /// The verdict for a text whose analysis the caller has (from the analyzer's cache: a repeated statement costs a
    /// lookup and the rules' evaluation, about 0.2 µs, not a parse).
    /// </summary>
    /// <param name="recordDecision">False when only a Block would act (a Bind): the caller records that one itself.</param>
    private PolicyVerdict Judge(string text, SqlAnalysis analysis, bool recordDecision = true)
    {
        if (_encodingProblem is { } problem)
        {
            return Record(new PolicyVerdict(PolicyAction.Block, null, problem), text, recordDecision);
        }

        var policy = _policies.Current;
        if (policy.Rules.Count == 0 && _targetDefault == PolicyAction.Allow)
        {
            // Nothing to enforce (a configuration without rules, watched in case it gains some).
            return PolicyVerdict.AllowByDefault;
        }

        var verdict = policy.Evaluate(_subject, analysis, _targetDefault);
        if (analysis.Parsed && analysis.Statements.Any(s => s.IsExecute))
        {
            // EXECUTE runs what a PREPARE defined earlier in this session.
            verdict = Worst(verdict, JudgeExecutes(policy, analysis));
        }

        return Record(verdict, text, recordDecision);
    }

    private PolicyVerdict Record(PolicyVerdict verdict, string text, bool recordDecision) => recordDecision ? Decide(verdict, text) : verdict;

    /// <summary>EXECUTE runs what its PREPARE defined; a name the proxy never saw prepared is judged as SQL it cannot see.</summary>
    private PolicyVerdict JudgeExecutes(StatementPolicy policy, SqlAnalysis analysis)
    {
        var worst = PolicyVerdict.AllowByDefault;
        foreach (var statement in analysis.Statements.Where(s => s.IsExecute && s.PreparedName is not null))
        {
            var prepared = _prepared.GetValueOrDefault(statement.PreparedName!)?.Analysis
                ?? UnknownStatement($"(EXECUTE of \"{statement.PreparedName}\", which the proxy did not see prepared)");
            worst = Worst(worst, policy.Evaluate(_subject, prepared, _targetDefault));
        }

        return worst;
    }

    /// <summary>A SQL PREPARE that ran defines what a later EXECUTE (or Bind) of its name runs; a refused one defines nothing.</summary>
    private void RememberPrepares(SqlAnalysis analysis)
    {
        if (!analysis.Parsed)
        {
            return;
        }

        foreach (var statement in analysis.Statements.Where(s => s.PreparedName is not null && !s.IsExecute))
        {
            _prepared[statement.PreparedName!] = new PreparedStatement(new SqlAnalysis(true, null, [statement]));
        }
    }

    /// <summary>Records every decision a rule made (and every refusal); logs the refusals. Plain default allows leave no trace beyond the statement.</summary>
    private PolicyVerdict Decide(PolicyVerdict verdict, string text)
    {
        if (_resuming)
        {
            // The held statement seen again after its decision: judged, logged and recorded the first time.
            return verdict;
        }

        if (verdict.Action != PolicyAction.Allow)
        {
            Decided?.Invoke(verdict, text);
        }

        if (verdict.Action != PolicyAction.Allow || verdict.Rule is not null)
        {
            _clientEdits.Add(new PolicyDecisionEvent(verdict));
        }

        return verdict;
    }

    private static ErrorResponse Refusal(PolicyVerdict verdict) => ErrorResponse.Create("ERROR", SqlState.InsufficientPrivilege,
        verdict.Rule is { } rule ? $"statement blocked by policy rule \"{rule.Name}\"" : "statement blocked by the proxy (fail closed)",
        verdict.Reason,
        verdict.Rule is null ? null : "the proxy's statement policy decides what runs; ask its administrator");

    /// <summary>The stand-in for a refused message, and the error its rejection will be swapped for.</summary>
    private string StandIn(ErrorResponse refusal) => $"SELECT \"{StandInName(refusal)}\"";

    /// <summary>A name no column or prepared statement has: the server's "does not exist" quotes it back.</summary>
    private string StandInName(ErrorResponse refusal)
    {
        var number = Interlocked.Increment(ref _nextBlocked);
        // The batch this message belongs to: the one its Sync (or, for a Query, the Query itself) ends.
        _pendingRejections[number] = (_clientBatches + 1, refusal);
        return _marker + number.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The server rejected a stand-in (42703 undefined column, 26000 unknown prepared statement — the marker appears
    /// in the message in any language the server speaks).
    /// </summary>
    private ErrorResponse? TakeRejection(ErrorResponse error)
    {
        if (error.SqlState is not (SqlState.UndefinedColumn or SqlState.InvalidSqlStatementName) || error.Message is not { } text)
        {
            return null;
        }

        var at = text.IndexOf(_marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var digits = text.AsSpan(at + _marker.Length);
        var end = 0;
        while (end < digits.Length && char.IsAsciiDigit(digits[end]))
        {
            end++;
        }

        return long.TryParse(digits[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && _pendingRejections.TryRemove(number, out var replacement) ? replacement.Error : null;
    }

    /// <summary>
    /// A stand-in the server never rejected with its marker (it answered 25P02 in an aborted transaction, or skipped it
    /// after an earlier error until Sync) is done with once its batch's ReadyForQuery passes.
    /// </summary>
    private void ForgetAnsweredBatches()
    {
        var answered = ++_serverBatches;
        if (_pendingRejections.IsEmpty)
        {
            return;
        }

        foreach (var (number, pending) in _pendingRejections)
        {
            if (pending.Batch <= answered)
            {
                _pendingRejections.TryRemove(number, out _);
            }
        }
    }

    /// <summary>
    /// Once the server reports a setting under which it would read text differently from the parser (the change
    /// slipped past the statement check, e.g. inside a function), every later statement is refused.
    /// </summary>
    private void OnParameter(string name, string value)
    {
        switch (name)
        {
            case "server_encoding":
                _serverEncoding = value;
                break;
            case "client_encoding":
                _clientEncoding = value;
                break;
            case "standard_conforming_strings":
                _conformingStrings = string.Equals(value, "on", StringComparison.OrdinalIgnoreCase);
                break;
            default:
                return;
        }

        // Both encodings are re-checked whenever either is reported: the server reports client_encoding first.
        _encodingProblem = !_conformingStrings
            ? "the session's standard_conforming_strings is off; the proxy refuses statements it could read differently from the server"
            : _clientEncoding is { } client && !SessionEncodings.IsSafeClientEncoding(client, _serverEncoding)
                ? $"the session's client_encoding is {client}; the proxy only judges statements sent in UTF8, so it refuses them"
                : null;
    }

    private static PolicyVerdict Worst(PolicyVerdict a, PolicyVerdict b) => b.Action > a.Action ? b : a;
}

/// <summary>"policy": a decision other than a plain allow by default, recorded right after the statement it judged.</summary>
internal sealed class PolicyDecisionEvent(PolicyVerdict verdict) : IRecordedEvent
{
    public string Type => "policy";

    public void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("decision", verdict.Action.ToString().ToLowerInvariant());
        writer.WriteString("rule", verdict.RuleName);
        writer.WriteString("reason", verdict.Reason);
    }
}

/// <summary>"approval": a statement held for approval, and what became of it.</summary>
internal sealed class ApprovalEvent(string status, ApprovalRequest? request, string? detail, ApprovalDecision? decision = null) : IRecordedEvent
{
    public string Type => "approval";

    public void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("status", status);
        if (request is not null)
        {
            writer.WriteString("request", request.Id);
            writer.WriteString("rule", request.Rule);
            writer.WriteString("requester", request.Requester);
            writer.WriteString("requested_at", request.RequestedAt.ToString("O", CultureInfo.InvariantCulture));
        }

        if (decision is not null)
        {
            writer.WriteString("decided_by", decision.DecidedBy);
            writer.WriteString("decided_at", decision.DecidedAt.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("scope", decision.Scope.ToString().ToLowerInvariant());
            if (decision.ValidUntil is { } until)
            {
                writer.WriteString("valid_until", until.ToString("O", CultureInfo.InvariantCulture));
            }
        }

        if (detail is not null)
        {
            writer.WriteString("detail", detail);
        }
    }
}
