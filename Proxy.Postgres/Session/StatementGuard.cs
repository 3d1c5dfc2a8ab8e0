using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
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
    private const int MaxCachedVerdicts = 4096;

    private readonly PolicySource _policies;
    private readonly PolicySubject _subject;
    private readonly PolicyAction _targetDefault;
    private readonly SqlAnalyzer _analyzer;
    private readonly RelayEdits _clientEdits;
    private readonly RelayEdits _serverEdits;
    private readonly string _marker;
    private readonly Dictionary<string, PolicyVerdict> _verdicts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqlAnalysis> _sqlPrepared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, ErrorResponse> _pendingRejections = new();
    private int _verdictsVersion;
    private long _nextBlocked;
    private volatile string? _encodingProblem;
    private string? _serverEncoding = "UTF8";

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

    /// <summary>Statements blocked so far (for logs and the disconnect event).</summary>
    public long BlockedCount => Interlocked.Read(ref _nextBlocked);

    /// <summary>Raised for each decision that is not a plain allow, with the statement text: the session logs it.</summary>
    public Action<PolicyVerdict, string>? Decided { get; init; }

    public static bool IsClientMessageGuarded(byte code) => (FrontendMessageCode)code is FrontendMessageCode.Query or FrontendMessageCode.Parse;

    public static bool IsServerMessageGuarded(byte code) => (BackendMessageCode)code is BackendMessageCode.ErrorResponse or BackendMessageCode.ParameterStatus;

    /// <summary>The settings the session started with (client_encoding, server_encoding, standard_conforming_strings).</summary>
    public void OnGreetingParameter(string name, string value) => OnParameter(name, value);

    /// <summary>A client message on its way: blocked ones are replaced by their stand-in.</summary>
    public void OnClientMessage(byte code, in ReadOnlySequence<byte> body)
    {
        switch ((FrontendMessageCode)code)
        {
            case FrontendMessageCode.Query when Query.TryParse(body, out var query):
                var text = query.TextString();
                var verdict = Judge(text);
                if (verdict.Action != PolicyAction.Allow)
                {
                    Query.Write(_clientEdits.ReplaceMessage(), StandIn(verdict));
                }

                break;
            case FrontendMessageCode.Parse when Parse.TryParse(body, out var parse):
                var parseText = parse.QueryString();
                var parseVerdict = Judge(parseText);
                if (parseVerdict.Action != PolicyAction.Allow)
                {
                    Protocol.Frontend.Parse.Write(_clientEdits.ReplaceMessage(), parse.StatementName, StandIn(parseVerdict), []);
                }

                break;
        }
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
        }

        return null;
    }

    private PolicyVerdict Judge(string text)
    {
        if (_encodingProblem is { } problem)
        {
            return Decide(new PolicyVerdict(PolicyAction.Block, null, problem), text);
        }

        var (policy, version) = _policies.Read();
        if (policy.Rules.Count == 0 && _targetDefault == PolicyAction.Allow)
        {
            // Nothing to enforce (a configuration without rules, watched in case it gains some): no parse needed.
            return PolicyVerdict.AllowByDefault;
        }

        if (version != _verdictsVersion)
        {
            _verdicts.Clear();
            _verdictsVersion = version;
        }

        var analysis = _analyzer.Analyze(text);
        // EXECUTE runs what a PREPARE defined earlier: its verdict depends on session state, so it is never cached.
        var executes = analysis.Parsed && analysis.Statements.Any(s => s.IsExecute);
        if (!executes && _verdicts.TryGetValue(text, out var cached))
        {
            return Remembered(Decide(cached, text), analysis);
        }

        var verdict = policy.Evaluate(_subject, analysis, _targetDefault);
        if (executes)
        {
            verdict = Worst(verdict, JudgeExecutes(policy, analysis));
        }
        else
        {
            if (_verdicts.Count >= MaxCachedVerdicts)
            {
                _verdicts.Clear();
            }

            _verdicts[text] = verdict;
        }

        return Remembered(Decide(verdict, text), analysis);
    }

    /// <summary>A PREPARE that runs defines what a later EXECUTE of its name runs; a refused one defines nothing.</summary>
    private PolicyVerdict Remembered(PolicyVerdict verdict, SqlAnalysis analysis)
    {
        if (verdict.Action == PolicyAction.Allow)
        {
            RememberPrepares(analysis);
        }

        return verdict;
    }

    private PolicyVerdict JudgeExecutes(StatementPolicy policy, SqlAnalysis analysis)
    {
        var worst = PolicyVerdict.AllowByDefault;
        foreach (var statement in analysis.Statements.Where(s => s.IsExecute && s.PreparedName is not null))
        {
            // An EXECUTE of a name the proxy never saw prepared fails on the server (26000); nothing runs.
            if (_sqlPrepared.TryGetValue(statement.PreparedName!, out var prepared))
            {
                worst = Worst(worst, policy.Evaluate(_subject, prepared, _targetDefault));
            }
        }

        return worst;
    }

    /// <summary>SQL-level PREPARE: what EXECUTE of the name will run is the analysis of the PREPARE statement.</summary>
    private void RememberPrepares(SqlAnalysis analysis)
    {
        if (!analysis.Parsed)
        {
            return;
        }

        foreach (var statement in analysis.Statements.Where(s => s.PreparedName is not null && !s.IsExecute))
        {
            _sqlPrepared[statement.PreparedName!] = new SqlAnalysis(true, null, [statement]);
        }
    }

    /// <summary>Records every decision a rule made (and every refusal); logs the refusals. Plain default allows leave no trace beyond the statement.</summary>
    private PolicyVerdict Decide(PolicyVerdict verdict, string text)
    {
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

    /// <summary>
    /// The stand-in for a refused message, and the error its rejection will be swapped for. A statement that needs
    /// approval is refused with that reason until the approval broker serves it: never run unapproved (fail closed).
    /// </summary>
    private string StandIn(PolicyVerdict verdict)
    {
        var number = Interlocked.Increment(ref _nextBlocked);
        var message = verdict.Rule is { } rule
            ? verdict.Action == PolicyAction.Review
                ? $"statement needs approval under policy rule \"{rule.Name}\", and no approval broker is running"
                : $"statement blocked by policy rule \"{rule.Name}\""
            : "statement blocked by the proxy (fail closed)";
        _pendingRejections[number] = ErrorResponse.Create("ERROR", SqlState.InsufficientPrivilege, message, verdict.Reason,
            verdict.Rule is null ? null : "the proxy's statement policy decides what runs; ask its administrator");
        return $"SELECT \"{_marker}{number.ToString(CultureInfo.InvariantCulture)}\"";
    }

    /// <summary>The server rejected a stand-in (42703, undefined column — the marker appears in any language the server speaks).</summary>
    private ErrorResponse? TakeRejection(ErrorResponse error)
    {
        if (error.SqlState != SqlState.UndefinedColumn || error.Message is not { } text)
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
            && _pendingRejections.TryRemove(number, out var replacement) ? replacement : null;
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
            case "client_encoding" when !SessionEncodings.IsSafeClientEncoding(value, _serverEncoding):
                _encodingProblem = $"the session's client_encoding is {value}; the proxy only judges statements sent in UTF8, so it refuses them";
                break;
            case "standard_conforming_strings" when !string.Equals(value, "on", StringComparison.OrdinalIgnoreCase):
                _encodingProblem = "the session's standard_conforming_strings is off; the proxy refuses statements it could read differently from the server";
                break;
        }
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
