using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Masking.Catalog;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Masking.Wire;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Protocol.Frontend;

namespace HoopProxy.Postgres.Session;

/// <summary>What masking did with one server message, for the observer that called it.</summary>
/// <param name="Held">The message waits for the column catalog; the relay shows it again.</param>
/// <param name="Body">The body as the client gets it, when masking rewrote it (errors), for the audit.</param>
/// <param name="Counts">What was masked in the statement this message completes.</param>
internal readonly record struct ServerMasking(bool Held, ReadOnlySequence<byte>? Body, MaskCounts? Counts);

/// <summary>
/// Masks one session's server-to-client messages by its masking rules: result rows (simple and extended protocol,
/// text and binary), COPY TO STDOUT data, errors, notices, notifications and function results. It follows the
/// client's requests (<see cref="ClientRequest"/>) to know which description applies to which rows: a Query's
/// RowDescription, a portal's Describe, or a prepared statement's Describe with the Bind's result formats. Results
/// nothing can be masked in are not decoded: their rows pass as slices.
/// </summary>
/// <remarks>
/// Fails closed: rows whose columns cannot be named while column rules apply, rows without a known description, a
/// row or COPY line too large to inspect, or COPY data it cannot parse end the statement with an error, and the rest
/// of the batch's answer is withheld up to ReadyForQuery. The client relay calls <see cref="OnClientMessage"/>, the
/// server relay everything else.
/// </remarks>
internal sealed partial class ResultMasker
{
    private readonly SessionMasking _rules;
    private readonly IColumnCatalog? _catalog;
    private readonly RelayEdits _serverEdits;
    private readonly ServerMessageMasker _messages;
    private readonly ClientRequestQueue _requests = new();

    // Server side only.
    private readonly Dictionary<string, StatementState> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PortalState> _portals = new(StringComparer.Ordinal);
    private readonly DataRowRewriter _rows = new();
    private RowsPlan? _queryRows;
    private CopyOutMasking? _copy;
    private MaskCounts _counts = new();
    private Task? _resolving;
    private bool _withholding;

    public ResultMasker(SessionMasking rules, IColumnCatalog? catalog, RelayEdits serverEdits)
    {
        _rules = rules;
        _catalog = catalog;
        _serverEdits = serverEdits;
        _messages = new ServerMessageMasker(rules);
    }

    private sealed class StatementState(CopyStatement? copyStatement, bool descriptionMayChange)
    {
        public CopyStatement? CopyStatement { get; } = copyStatement;

        /// <summary>FETCH and EXECUTE describe another object (a cursor, a prepared statement) that can change after the Describe.</summary>
        public bool DescriptionMayChange { get; } = descriptionMayChange;

        public IReadOnlyList<FieldDescription>? Fields { get; set; }
    }

    private sealed class PortalState(string statementName, short[] resultFormats)
    {
        public string StatementName { get; } = statementName;

        public short[] ResultFormats { get; } = resultFormats;

        /// <summary>From a Describe of the portal itself: its fields with their actual formats.</summary>
        public IReadOnlyList<FieldDescription>? Fields { get; set; }
    }

    public static bool IsClientMessageTracked(byte code) => (FrontendMessageCode)code is
        FrontendMessageCode.Query or FrontendMessageCode.Parse or FrontendMessageCode.Bind or FrontendMessageCode.Describe
        or FrontendMessageCode.Execute or FrontendMessageCode.Close or FrontendMessageCode.Sync or FrontendMessageCode.FunctionCall
        or FrontendMessageCode.CopyDone or FrontendMessageCode.CopyFail;

    /// <summary>A client message on its way to the server (once, as forwarded; a stand-in of the guard has the same shape).</summary>
    public void OnClientMessage(byte code, in ReadOnlySequence<byte> body, ClientStatement? statement)
    {
        ClientRequest? request = (FrontendMessageCode)code switch
        {
            FrontendMessageCode.Query => new QueryRequest(CopyTexts(statement)),
            FrontendMessageCode.Parse when Parse.TryParse(body, out var parse) =>
                new ParseRequest(parse.StatementName, CopyTexts(statement) is [var copy] ? copy : null, DescriptionMayChange(statement)),
            FrontendMessageCode.Bind when Bind.TryParse(body, out var bind) => new BindRequest(bind.PortalName, bind.StatementName, Formats(bind.ResultFormats)),
            FrontendMessageCode.Describe when Describe.TryParse(body, out var describe) => new DescribeRequest(describe.Target == DescribeTarget.Statement, describe.Name),
            FrontendMessageCode.Execute when Execute.TryParse(body, out var execute) => new ExecuteRequest(execute.PortalName),
            FrontendMessageCode.Close when Close.TryParse(body, out var close) => new CloseRequest(close.Target == DescribeTarget.Statement, close.Name),
            FrontendMessageCode.Sync => new SyncRequest(),
            FrontendMessageCode.FunctionCall when FunctionCall.TryParse(body, out var call) => new FunctionCallRequest(call.ResultFormat == FormatCode.Binary),
            FrontendMessageCode.CopyDone or FrontendMessageCode.CopyFail => new CopyEndRequest(),
            _ => null,
        };
        if (request is not null)
        {
            _requests.Add(request);
        }

        if (statement is not null && ChangesSearchPath(statement.Text))
        {
            _searchPathChanged = true;
        }
    }

    /// <summary>
    /// Set once the session may have changed its search_path (<c>SET search_path</c>, <c>SET SCHEMA</c>,
    /// <c>set_config('search_path', …)</c>): the catalog's own connection would then resolve an unqualified table name
    /// of a COPY differently from the session. Written by the client relay, read by the server relay.
    /// </summary>
    private volatile bool _searchPathChanged;

    private static bool ChangesSearchPath(string text) =>
        text.Contains("search_path", StringComparison.OrdinalIgnoreCase)
        || (text.Contains("schema", StringComparison.OrdinalIgnoreCase) && SetSchema().IsMatch(text));

    [System.Text.RegularExpressions.GeneratedRegex(@"\bset\s+((session|local)\s+)?schema\b",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex SetSchema();

    /// <summary>
    /// A request too large to inspect (a Bind with a large parameter, a huge query text) still gets its place in the
    /// sequence, as one whose names and statements are unknown: rows that come of it find no description and are
    /// withheld, and an unknown Bind or Parse makes every portal or statement description untrustworthy.
    /// </summary>
    public void OnClientMessageUninspected(byte code)
    {
        ClientRequest? request = (FrontendMessageCode)code switch
        {
            FrontendMessageCode.Query => new QueryRequest([]),
            FrontendMessageCode.Parse => new ParseRequest(UnknownName, null, DescriptionMayChange: true),
            FrontendMessageCode.Bind => new BindRequest(UnknownName, UnknownName, []),
            FrontendMessageCode.FunctionCall => new FunctionCallRequest(BinaryResult: true),
            _ => null,
        };
        if (request is not null)
        {
            _requests.Add(request);
        }
    }

    /// <summary>Stands for a name the proxy could not read; no client can use it (it contains a NUL).</summary>
    private const string UnknownName = "\0unknown";

    private static IReadOnlyList<CopyStatement> CopyTexts(ClientStatement? statement)
    {
        if (statement is null || !statement.Analysis.Statements.Any(s => s.CommandTag == "COPY"))
        {
            return [];
        }

        return statement.Analysis.Statements.Where(s => s.CommandTag == "COPY").Select(CopyStatement.From).OfType<CopyStatement>().ToArray();
    }

    private static int ColumnCount(in ReadOnlySequence<byte> body)
    {
        if (body.Length < 2)
        {
            return -1;
        }

        Span<byte> count = stackalloc byte[2];
        body.Slice(0, 2).CopyTo(count);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(count);
    }

    private static bool DescriptionMayChange(ClientStatement? statement) =>
        statement?.Analysis is not { Parsed: true, Statements: [{ CommandTag: not ("FETCH" or "EXECUTE") }] };

    private static short[] Formats(FormatCodeList list)
    {
        var formats = new short[list.Count];
        for (var i = 0; i < formats.Length; i++)
        {
            formats[i] = list[i];
        }

        return formats;
    }

    /// <summary>The server messages masking must see whole. DataRows only while the current result masks something.</summary>
    public bool WantsServerMessage(byte code) => (BackendMessageCode)code switch
    {
        BackendMessageCode.DataRow => _withholding || RowsNeedLooking(),
        BackendMessageCode.CopyData => _withholding || _copy is not null,
        BackendMessageCode.ParameterStatus => _rules.HasDetectorRules,
        _ => true,
    };

    /// <summary>
    /// True when the rows now arriving may need masking: their plan masks something, or is not known (then the first
    /// row finds out, and rows of a result the proxy cannot place are withheld rather than passed).
    /// </summary>
    private bool RowsNeedLooking() => _requests.Head switch
    {
        QueryRequest => _queryRows?.MasksAnything != false,
        ExecuteRequest { RowsLookedUp: true } execute => execute.Rows?.MasksAnything != false,
        _ => true,
    };

    public ServerMasking OnServerMessage(byte code, in ReadOnlySequence<byte> body, bool replacedByProxy)
    {
        var head = _requests.Head;
        switch ((BackendMessageCode)code)
        {
            case BackendMessageCode.RowDescription:
                return OnRowDescription(head, body);
            case BackendMessageCode.DataRow:
                return OnDataRow(head, body);
            case BackendMessageCode.NoData:
                // "No rows" is not a description to trust for rows that come anyway (a FETCH described before its
                // cursor existed): such rows find no description and are withheld.
                Complete<DescribeRequest>();
                break;
            case BackendMessageCode.ParseComplete:
                if (head is ParseRequest { StatementName: UnknownName })
                {
                    // Some statement was redefined, the proxy cannot tell which.
                    _statements.Clear();
                }
                else if (head is ParseRequest parse)
                {
                    _statements[parse.StatementName] = new StatementState(parse.CopyStatement, parse.DescriptionMayChange);
                }

                Complete<ParseRequest>();
                break;
            case BackendMessageCode.BindComplete:
                if (head is BindRequest { PortalName: UnknownName })
                {
                    _portals.Clear();
                }
                else if (head is BindRequest bind)
                {
                    _portals[bind.PortalName] = new PortalState(bind.StatementName, bind.ResultFormats);
                }

                Complete<BindRequest>();
                break;
            case BackendMessageCode.CloseComplete:
                if (head is CloseRequest close)
                {
                    _ = close.Statement ? _statements.Remove(close.Name) : _portals.Remove(close.Name);
                }

                Complete<CloseRequest>();
                break;
            case BackendMessageCode.CopyInResponse:
                _requests.OnCopyInStarted();
                if (_withholding)
                {
                    // The client was told the batch failed and will send no data; the server would wait for it forever.
                    throw new PostgresProtocolException(SqlState.ProtocolViolation,
                        "a COPY FROM STDIN started in a batch whose answer the proxy withheld; the session is ended");
                }

                return default;
            case BackendMessageCode.CopyOutResponse:
                return OnCopyOutResponse(head, body);
            case BackendMessageCode.CopyData:
                return OnCopyData(body);
            case BackendMessageCode.CopyDone:
                return OnCopyDone();
            case BackendMessageCode.CommandComplete or BackendMessageCode.EmptyQueryResponse or BackendMessageCode.PortalSuspended:
                return OnResultEnd(head, body);
            case BackendMessageCode.ErrorResponse:
                return OnError(head, body, replacedByProxy);
            case BackendMessageCode.ReadyForQuery:
                OnReadyForQuery(body);
                break;
            case BackendMessageCode.NoticeResponse:
                // Not part of any answer: passed (masked) also while an answer is withheld.
                MaskNotice(body);
                return default;
            case BackendMessageCode.NotificationResponse:
                MaskNotification(body);
                return default;
            case BackendMessageCode.ParameterStatus:
                MaskParameterStatus(body);
                return default;
            case BackendMessageCode.FunctionCallResponse:
                return OnFunctionResult(head, body);
        }

        return Pass();
    }

    /// <summary>Answers of a batch after the proxy withheld a result go nowhere; the audit still hears what the server did.</summary>
    private ServerMasking Pass()
    {
        DropIfWithholding();
        return default;
    }

    private void Complete<TRequest>()
        where TRequest : ClientRequest => _requests.Complete<TRequest>();

    private ServerMasking OnRowDescription(ClientRequest? head, in ReadOnlySequence<byte> body)
    {
        if (!RowDescription.TryParse(body, out var description))
        {
            throw new PostgresProtocolException(SqlState.ProtocolViolation, "the server sent a malformed RowDescription");
        }

        // Resolving now also warms the catalog for the Executes of a described statement.
        if (!TryPlan(description.Fields, FieldFormats(description.Fields), out var rows, out var refusal))
        {
            return new ServerMasking(Held: true, null, null);
        }

        switch (head)
        {
            case DescribeRequest { Statement: true } statement:
                if (_statements.TryGetValue(statement.Name, out var state) && !state.DescriptionMayChange)
                {
                    state.Fields = description.Fields;
                }

                Complete<DescribeRequest>();
                break;
            case DescribeRequest portal:
                if (_portals.TryGetValue(portal.Name, out var portalState))
                {
                    portalState.Fields = description.Fields;
                }

                Complete<DescribeRequest>();
                break;
            case QueryRequest:
                _queryRows = rows;
                break;
            default:
                throw ClientRequestQueue.OutOfStep("Describe or Query", head);
        }

        if (refusal is not null && head is not DescribeRequest)
        {
            return Withhold(refusal);
        }

        if (!_withholding)
        {
            MaskColumnNames(description);
        }

        return Pass();
    }

    /// <summary>A column's name is text the server sends too, and a query can make it anything (<c>format('SELECT 1 AS %I', ssn)</c>).</summary>
    private void MaskColumnNames(RowDescription description)
    {
        if (!_rules.HasDetectorRules)
        {
            return;
        }

        var counts = new MaskCounts();
        FieldDescription[]? renamed = null;
        for (var i = 0; i < description.Fields.Count; i++)
        {
            if (_messages.MaskText(description.Fields[i].Name, counts) is { } masked)
            {
                renamed ??= [.. description.Fields];
                renamed[i] = renamed[i] with { Name = masked };
            }
        }

        if (renamed is not null)
        {
            RowDescription.Write(_serverEdits.ReplaceMessage(), renamed);
            _serverEdits.Add(new Audit.MaskedEvent { Message = "row-description", Counts = counts });
        }
    }

    private ServerMasking OnDataRow(ClientRequest? head, in ReadOnlySequence<byte> body)
    {
        if (_withholding)
        {
            return Pass();
        }

        RowsPlan? rows;
        if (head is ExecuteRequest execute)
        {
            if (!execute.RowsLookedUp)
            {
                if (!TryPortalRows(execute.PortalName, out rows, out var refusal))
                {
                    return new ServerMasking(Held: true, null, null);
                }

                if (refusal is not null)
                {
                    return Withhold(refusal);
                }

                execute.Rows = rows;
                execute.RowsLookedUp = true;
            }

            rows = execute.Rows;
        }
        else
        {
            rows = head is QueryRequest ? _queryRows : null;
        }

        if (rows is null)
        {
            return Withhold("masking cannot tell which description these rows belong to");
        }

        if (ColumnCount(body) != rows.Plan.ColumnCount)
        {
            return Withhold($"masking expected rows of {rows.Plan.ColumnCount} columns and the server sent {ColumnCount(body)}");
        }

        if (rows is { MasksAnything: true } && _rows.TryMask(body, rows))
        {
            _rows.WriteMasked(_serverEdits.ReplaceMessage());
        }

        return default;
    }
}
