using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Protocol.Frontend;

namespace HoopProxy.Postgres.Recording;

/// <summary>One result a statement produced: the columns and the first rows as the client saw them, and how it ended.</summary>
public sealed class TimelineResult
{
    public List<string> Columns { get; } = [];
    public List<IReadOnlyList<string?>> Rows { get; } = [];
    public long RowCount { get; set; }
    public string? Outcome { get; set; }
}

/// <summary>A statement decoded from the recorded bytes: when it was sent, its text and parameters, its results and how long until ReadyForQuery.</summary>
public sealed class TimelineStatement
{
    public required TimeSpan At { get; init; }
    public required string Text { get; init; }
    public IReadOnlyList<string?> Parameters { get; init; } = [];

    /// <summary>A simple Query (possibly several statements) is answered until ReadyForQuery; an Execute until its CommandComplete.</summary>
    public bool IsSimpleQuery { get; init; }
    public List<TimelineResult> Results { get; } = [];

    /// <summary>What the proxy's parser said about it when it passed ("statement" events; one per statement in a simple Query).</summary>
    public List<StatementClassification> Facts { get; } = [];
    public TimeSpan? Duration { get; set; }
}

/// <summary>A "statement" event's classification: pgaudit class, command tag, the relations and functions it touches.</summary>
public sealed record StatementClassification(string? Class, string? Command, IReadOnlyList<string> Reads, IReadOnlyList<string> Writes, IReadOnlyList<string> Functions, string? Problem)
{
    public static StatementClassification From(JsonObject fields) => new(
        (string?)fields["class"], (string?)fields["command"], Strings(fields["reads"]), Strings(fields["writes"]), Strings(fields["functions"]),
        (string?)fields["parse_error"]);

    private static string[] Strings(JsonNode? node) => node is JsonArray array ? array.Select(n => n?.ToString() ?? "").ToArray() : [];
}

/// <summary>An entry of the timeline: a statement or a recorded event.</summary>
public sealed record TimelineEntry(TimeSpan At, TimelineStatement? Statement, string? EventType, JsonObject? EventFields);

/// <summary>
/// Rebuilds a PostgreSQL session's timeline from its recording: the two byte streams are framed into messages
/// again (they were recorded as the client saw them), statements are paired with their results up to
/// ReadyForQuery, and events keep their place. Text-format values are shown as text, binary ones as hex.
/// </summary>
public sealed class PostgresTimeline
{
    private readonly int _rowLimit;
    private readonly List<TimelineEntry> _entries = [];
    private readonly Queue<TimelineStatement> _awaitingResults = new();
    private readonly List<TimelineStatement> _awaitingReady = [];
    private readonly Dictionary<string, string> _preparedText = new(StringComparer.Ordinal);
    private readonly ArrayBufferWriter<byte> _fromClient = new();
    private readonly ArrayBufferWriter<byte> _fromServer = new();
    private int _clientConsumed;
    private int _serverConsumed;
    private TimelineStatement? _bound;
    private TimelineResult? _result;
    private TimelineStatement? _lastBegun;

    private PostgresTimeline(int rowLimit)
    {
        _rowLimit = rowLimit;
    }

    public static IReadOnlyList<TimelineEntry> Build(IEnumerable<SessionRecord> records, int rowLimit = 20)
    {
        var timeline = new PostgresTimeline(rowLimit);
        foreach (var record in records)
        {
            switch (record.Type)
            {
                case RecordType.Data when record.Direction == RecordDirection.ClientToServer:
                    timeline._fromClient.Write(record.Data.Span);
                    timeline.DrainClient(record.Elapsed);
                    Compact(timeline._fromClient, ref timeline._clientConsumed);
                    break;
                case RecordType.Data:
                    timeline._fromServer.Write(record.Data.Span);
                    timeline.DrainServer(record.Elapsed);
                    Compact(timeline._fromServer, ref timeline._serverConsumed);
                    break;
                case RecordType.Event:
                    timeline.OnEvent(record);
                    break;
            }
        }

        return timeline._entries;
    }

    /// <summary>
    /// "statement" events follow the bytes of the statement they describe, so they belong to the statement begun
    /// last; "outcome" events repeat what the server's bytes already show. Other events keep their place.
    /// </summary>
    private void OnEvent(SessionRecord record)
    {
        switch (record.EventType)
        {
            case "statement" when record.Fields is { } fields && fields["uninspected"] is null:
                _lastBegun?.Facts.Add(StatementClassification.From(fields));
                break;
            case "statement" or "outcome":
                break;
            default:
                _entries.Add(new TimelineEntry(record.Elapsed, null, record.EventType, record.Fields));
                break;
        }
    }

    private void DrainClient(TimeSpan at)
    {
        while (TryTake(_fromClient, ref _clientConsumed, out var code, out var body))
        {
            switch ((FrontendMessageCode)code)
            {
                case FrontendMessageCode.Query when Query.TryParse(body, out var query):
                    Begin(new TimelineStatement { At = at, Text = query.TextString(), IsSimpleQuery = true });
                    break;
                case FrontendMessageCode.Parse when Parse.TryParse(body, out var parse):
                    _preparedText[parse.StatementName] = parse.QueryString();
                    break;
                case FrontendMessageCode.Bind when Bind.TryParse(body, out var bind):
                    _bound = new TimelineStatement
                    {
                        At = at,
                        Text = _preparedText.GetValueOrDefault(bind.StatementName, $"(prepared statement \"{bind.StatementName}\")"),
                        Parameters = Values(bind.Parameters, bind.ParameterFormats.Count == 1 && bind.ParameterFormats[0] == 1, i => bind.ParameterFormats.Count > 1 && bind.ParameterFormats[i] == 1),
                    };
                    break;
                case FrontendMessageCode.Execute when _bound is not null:
                    Begin(_bound);
                    break;
                case FrontendMessageCode.FunctionCall:
                    Begin(new TimelineStatement { At = at, Text = "(function call)", IsSimpleQuery = true });
                    break;
            }
        }
    }

    private void Begin(TimelineStatement statement)
    {
        _lastBegun = statement;
        _entries.Add(new TimelineEntry(statement.At, statement, null, null));
        _awaitingResults.Enqueue(statement);
        _awaitingReady.Add(statement);
    }

    private void DrainServer(TimeSpan at)
    {
        while (TryTake(_fromServer, ref _serverConsumed, out var code, out var body))
        {
            var current = _awaitingResults.Count > 0 ? _awaitingResults.Peek() : null;
            switch ((BackendMessageCode)code)
            {
                case BackendMessageCode.RowDescription when current is not null && RowDescription.TryParse(body, out var description):
                    _result = new TimelineResult();
                    _result.Columns.AddRange(description.Fields.Select(f => f.Name));
                    current.Results.Add(_result);
                    break;
                case BackendMessageCode.DataRow when current is not null && DataRow.TryParse(body, out var row):
                    if (_result is null)
                    {
                        _result = new TimelineResult();
                        current.Results.Add(_result);
                    }

                    if (_result.Rows.Count < _rowLimit)
                    {
                        _result.Rows.Add(Values(row.Columns, false, _ => false));
                    }

                    _result.RowCount++;
                    break;
                case BackendMessageCode.CommandComplete when current is not null && CommandComplete.TryParse(body, out var complete):
                    Finish(current, complete.Tag);
                    break;
                case BackendMessageCode.ErrorResponse when current is not null && ErrorResponse.TryParse(body, out var error):
                    Finish(current, $"ERROR {error.SqlState}: {error.Message}");
                    // An error ends everything up to Sync: the rest of the batch never ran.
                    _awaitingResults.Clear();
                    break;
                case BackendMessageCode.EmptyQueryResponse when current is not null:
                    Finish(current, "(empty query)");
                    break;
                case BackendMessageCode.FunctionCallResponse when current is not null:
                    Finish(current, "(function result)");
                    break;
                case BackendMessageCode.ReadyForQuery:
                    foreach (var statement in _awaitingReady)
                    {
                        statement.Duration = at - statement.At;
                    }

                    _awaitingReady.Clear();
                    _awaitingResults.Clear();
                    _result = null;
                    break;
            }
        }
    }

    /// <summary>A simple Query may hold several statements: each CommandComplete ends one result; the statement ends at ReadyForQuery.</summary>
    private void Finish(TimelineStatement statement, string outcome)
    {
        if (_result is null)
        {
            _result = new TimelineResult();
            statement.Results.Add(_result);
        }

        _result.Outcome = outcome;
        _result = null;
        if (!statement.IsSimpleQuery)
        {
            _awaitingResults.Dequeue();
        }
    }

    private static List<string?> Values(ValueList values, bool allBinary, Func<int, bool> isBinary)
    {
        var list = new List<string?>(values.Count);
        var index = 0;
        foreach (var value in values)
        {
            list.Add(value.IsNull ? null
                : allBinary || isBinary(index) ? "\\x" + Convert.ToHexStringLower(value.Data.ToArray())
                : Encoding.UTF8.GetString(value.Data));
            index++;
        }

        return list;
    }

    /// <summary>Keeps only the unframed tail, so a long session is never held whole.</summary>
    private static void Compact(ArrayBufferWriter<byte> buffer, ref int consumed)
    {
        if (consumed == 0)
        {
            return;
        }

        var tail = buffer.WrittenSpan[consumed..].ToArray();
        buffer.ResetWrittenCount();
        buffer.Write(tail);
        consumed = 0;
    }

    private static bool TryTake(ArrayBufferWriter<byte> buffer, ref int consumed, out byte code, out ReadOnlySequence<byte> body)
    {
        var rest = new ReadOnlySequence<byte>(buffer.WrittenMemory[consumed..]);
        if (MessageHeader.TryRead(rest, out var header) && header.Length >= 4 && rest.Length >= header.TotalLength)
        {
            code = header.Code;
            body = rest.Slice(MessageHeader.Size, header.BodyLength);
            consumed += (int)header.TotalLength;
            return true;
        }

        code = 0;
        body = default;
        return false;
    }
}
