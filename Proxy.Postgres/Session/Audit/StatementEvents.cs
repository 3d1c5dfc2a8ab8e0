using HoopProxy.Postgres.Masking.Wire;
using System.Text.Json;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Session.Audit;

/// <summary>How a statement reached the server.</summary>
internal enum StatementProtocol
{
    /// <summary>A simple Query message; one event per statement in it.</summary>
    Simple,

    /// <summary>Parse/Bind/Execute; one event per Execute.</summary>
    Extended,

    /// <summary>The fast-path FunctionCall message: a function by OID, no SQL text.</summary>
    FunctionCall,
}

/// <summary>
/// "statement": what the client asked the server to run, recorded right after the message that runs it.
/// <see cref="Sequence"/> pairs it with its "outcome".
/// </summary>
internal sealed class StatementEvent : IRecordedEvent
{
    public required long Sequence { get; init; }
    public required StatementProtocol Protocol { get; init; }
    public required string Text { get; init; }
    public long TextBytes { get; init; }
    public string? StatementName { get; init; }
    public string? PortalName { get; init; }
    public IReadOnlyList<string?>? Parameters { get; init; }
    public uint FunctionOid { get; init; }

    /// <summary>The message was too large to inspect: <see cref="Text"/> says so instead of quoting it.</summary>
    public bool Uninspected { get; init; }

    /// <summary>What the SQL parser found; null when the text was not analysed (a function call, an uninspected message).</summary>
    public StatementInfo? Info { get; init; }

    /// <summary>Why the parser could not read the text (the server may still run it; the policy refuses what it cannot read).</summary>
    public string? ParseError { get; init; }

    public string Type => "statement";

    public void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteNumber("seq", Sequence);
        writer.WriteString("protocol", Protocol switch
        {
            StatementProtocol.Simple => "simple",
            StatementProtocol.Extended => "extended",
            _ => "function-call",
        });
        if (Protocol == StatementProtocol.FunctionCall)
        {
            writer.WriteNumber("function_oid", FunctionOid);
        }
        else
        {
            writer.WriteString("text", AuditedValues.Truncate(Text, AuditedValues.MaxTextChars, TextBytes));
        }

        if (Uninspected)
        {
            writer.WriteBoolean("uninspected", true);
        }

        if (StatementName is not null)
        {
            writer.WriteString("statement", StatementName);
        }

        if (PortalName is not null)
        {
            writer.WriteString("portal", PortalName);
        }

        if (Info is { } info)
        {
            WriteClassification(writer, info);
        }

        if (ParseError is not null)
        {
            writer.WriteString("parse_error", ParseError);
        }

        if (Parameters is not null)
        {
            writer.WriteStartArray("parameters");
            foreach (var value in Parameters)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }
    }

    private static void WriteClassification(Utf8JsonWriter writer, StatementInfo info)
    {
        writer.WriteString("class", StatementClassNames.Of(info.Class));
        writer.WriteString("command", info.CommandTag);
        if (info.EffectiveCommands.Count > 1)
        {
            WriteList(writer, "commands", info.EffectiveCommands);
        }

        WriteList(writer, "reads", info.RelationsRead);
        WriteList(writer, "writes", info.RelationsWritten);
        WriteList(writer, "functions", info.Functions);
        if (info.HasDynamicSql)
        {
            writer.WriteBoolean("dynamic_sql", true);
        }

        if (info.ReachesOutside)
        {
            writer.WriteBoolean("reaches_outside", true);
        }

        if (info.Unrecognised)
        {
            writer.WriteBoolean("unrecognised", true);
        }
    }

    private static void WriteList(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}

/// <summary>pgaudit's class names, as pgaudit writes them.</summary>
internal static class StatementClassNames
{
    public static string Of(StatementClass statementClass) => statementClass switch
    {
        StatementClass.Read => "READ",
        StatementClass.Write => "WRITE",
        StatementClass.Function => "FUNCTION",
        StatementClass.Role => "ROLE",
        StatementClass.Ddl => "DDL",
        _ => "MISC",
    };
}

/// <summary>"outcome": how the statement with <see cref="Sequence"/> ended, as the server reported it.</summary>
internal sealed class OutcomeEvent : IRecordedEvent
{
    /// <summary>The statement this answers; null for an error the server sent outside any statement (e.g. at shutdown).</summary>
    public long? Sequence { get; init; }

    /// <summary>"ok", "error", "empty", "suspended" (a portal with rows left), "not-run" (an earlier error skipped it).</summary>
    public required string Status { get; init; }
    public string? CommandTag { get; init; }
    public long? Rows { get; init; }
    public string? SqlState { get; init; }
    public string? Severity { get; init; }
    public string? Message { get; init; }

    /// <summary>What masking hid in the answer; null when nothing.</summary>
    public MaskCounts? Masked { get; init; }

    public string Type => "outcome";

    public void WriteFields(Utf8JsonWriter writer)
    {
        if (Sequence is { } sequence)
        {
            writer.WriteNumber("seq", sequence);
        }

        writer.WriteString("status", Status);
        WriteIfPresent(writer, "command", CommandTag);
        if (Rows is { } rows)
        {
            writer.WriteNumber("rows", rows);
        }

        WriteIfPresent(writer, "sqlstate", SqlState);
        WriteIfPresent(writer, "severity", Severity);
        WriteIfPresent(writer, "message", Message);
        if (Masked is not null)
        {
            MaskCountsJson.Write(writer, Masked);
        }
    }

    private static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}

/// <summary>What masking hid in a message that answers no statement (a notice, a notification, a setting, column names): counts only, never values.</summary>
internal sealed class MaskedEvent : IRecordedEvent
{
    /// <summary>"notice", "notification", "parameter-status" or "row-description".</summary>
    public required string Message { get; init; }

    public required MaskCounts Counts { get; init; }

    public string Type => "masked";

    public void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("message", Message);
        MaskCountsJson.Write(writer, Counts);
    }
}

/// <summary>The <c>masked</c> object of outcome and masked events: <c>{"columns": {…}, "detectors": {…}, "withheld": "…"}</c>.</summary>
internal static class MaskCountsJson
{
    public static void Write(Utf8JsonWriter writer, MaskCounts counts)
    {
        writer.WriteStartObject("masked");
        WriteCounts(writer, "columns", counts.Columns);
        WriteCounts(writer, "detectors", counts.Detectors);
        if (counts.Withheld is { } withheld)
        {
            writer.WriteString("withheld", withheld);
        }

        writer.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter writer, string name, Dictionary<string, long> counts)
    {
        writer.WriteStartObject(name);
        foreach (var (key, count) in counts)
        {
            writer.WriteNumber(key, count);
        }

        writer.WriteEndObject();
    }
}
