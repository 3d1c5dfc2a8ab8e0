using System.Globalization;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Postgres.Recording;

namespace HoopProxy.Host.Sessions;

/// <summary>
/// <c>sessions show</c> and <c>export --format text</c>: a session as an investigator reads it — who, then each
/// statement with its time, duration, classification, parameters and results as aligned tables, then the seal.
/// An SSH session has its events instead, with its data summarised per channel (<see cref="SshTimelineText"/>).
/// </summary>
public sealed class TimelineText(TextWriter output, ConsoleStyle style)
{
    private const string Indent = "           ";

    /// <summary>Events as a person reads them: quotes and non-ASCII text unescaped.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Write(RecordingReader reader, int rowLimit)
    {
        var records = reader.ReadRecords().ToList();
        var m = reader.Metadata;
        var ssh = SshSessions.IsSsh(m);
        // An SSH login's credential is a key fingerprint, worth seeing at once; a PostgreSQL one is an internal id.
        var credential = ssh && m.AuthenticationMethod is not null ? $" ({m.AuthenticationMethod}{(m.CredentialId is null ? "" : " " + m.CredentialId)})" : "";
        output.WriteLine(style.Bold($"session {m.SessionId}") +
            $": {m.Identity ?? "(not authenticated)"} → {m.Target} as {m.UpstreamAccount ?? "-"} from {m.ClientAddress}:{m.ClientPort}, {m.Protocol}{credential}, started {m.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC");
        if (ssh)
        {
            new SshTimelineText(output, style).Write(records);
        }
        else
        {
            WritePostgres(records, rowLimit);
        }

        var seal = records.LastOrDefault(r => r.Type == RecordType.Seal)?.Seal;
        output.WriteLine(seal is null
            ? style.Yellow("(not sealed: the session is open, or was interrupted and not yet recovered)")
            : style.Dim($"sealed: {seal.RecordCount} records, ended {seal.LastTimestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC: {seal.EndReason}"));
    }

    private void WritePostgres(List<SessionRecord> records, int rowLimit)
    {
        foreach (var entry in PostgresTimeline.Build(records, rowLimit))
        {
            var at = style.Dim(string.Create(CultureInfo.InvariantCulture, $"+{entry.At.TotalSeconds,8:0.000}s"));
            if (entry.Statement is { } statement)
            {
                WriteStatement(at, statement);
            }
            else
            {
                var line = $"{entry.EventType}: {entry.EventFields?.ToJsonString(Readable)}";
                output.WriteLine($"{at}  {(entry.EventType is "policy" or "cancel" or "revocation" ? style.Yellow(line) : style.Dim(line))}");
            }
        }
    }

    private void WriteStatement(string at, TimelineStatement statement)
    {
        var duration = statement.Duration is { } d ? string.Create(CultureInfo.InvariantCulture, $"  [{d.TotalMilliseconds:0.#} ms]") : "  [no answer recorded]";
        output.WriteLine($"{at}  {style.Cyan(statement.Text.ReplaceLineEndings(" "))}{style.Dim(duration)}");
        foreach (var facts in statement.Facts)
        {
            output.WriteLine(Indent + style.Dim(Describe(facts)));
        }

        if (statement.Parameters.Count > 0)
        {
            output.WriteLine($"{Indent}parameters: {string.Join(", ", statement.Parameters.Select((p, i) => $"${i + 1}={p ?? "NULL"}"))}");
        }

        foreach (var result in statement.Results)
        {
            WriteResult(result);
        }
    }

    private static string Describe(StatementClassification facts)
    {
        var parts = new List<string> { $"{facts.Class ?? "?"} {facts.Command ?? "?"}" };
        if (facts.Reads.Count > 0)
        {
            parts.Add("reads " + string.Join(", ", facts.Reads));
        }

        if (facts.Writes.Count > 0)
        {
            parts.Add("writes " + string.Join(", ", facts.Writes));
        }

        if (facts.Functions.Count > 0)
        {
            parts.Add("calls " + string.Join(", ", facts.Functions));
        }

        if (facts.Problem is not null)
        {
            parts.Add("not parsed: " + facts.Problem);
        }

        return string.Join(" · ", parts);
    }

    private void WriteResult(TimelineResult result)
    {
        if (result.Columns.Count > 0)
        {
            var rows = result.Rows.Select(r => (IReadOnlyList<string>)r.Select(v => v ?? "NULL").ToArray()).ToList();
            TextTable.Write(output, result.Columns, rows, Indent, " | ", style.Bold);
            if (result.RowCount > result.Rows.Count)
            {
                output.WriteLine(style.Dim($"{Indent}… {result.RowCount - result.Rows.Count} more rows"));
            }
        }

        if (result.Outcome is { } outcome)
        {
            output.WriteLine(Indent + (outcome.StartsWith("ERROR", StringComparison.Ordinal) ? style.Red(outcome) : style.Green(outcome)));
        }
    }
}
