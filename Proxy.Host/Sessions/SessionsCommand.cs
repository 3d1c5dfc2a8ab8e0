using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Configuration;
using HoopProxy.Postgres.Recording;

namespace HoopProxy.Host.Sessions;

/// <summary>
/// <c>hoopproxy sessions list|show|export|verify</c>: read-only forensics over the recording directory. They read the files
/// directly and never take the store's lock, so they work beside a running proxy.
/// </summary>
public static class SessionsCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "The proxy's configuration file (its Recording section)", Required = true };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var identity = new Option<string?>("--identity") { Description = "Only sessions of this identity" };
        var target = new Option<string?>("--target") { Description = "Only sessions to this target" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only sessions started at or after this time (ISO 8601)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Only sessions started before this time" };
        var contains = new Option<string?>("--contains") { Description = "Only sessions with a statement containing this text" };
        var outcome = new Option<string?>("--outcome") { Description = "Only sessions whose end reason contains this text (e.g. 28P01, interrupted)" };
        var list = new Command("list", "List recorded sessions") { config, json, identity, target, since, until, contains, outcome };
        list.SetAction(parse => Run(parse.GetRequiredValue(config), options => List(options, parse.GetValue(json), new SessionFilter(
            parse.GetValue(identity), parse.GetValue(target), parse.GetValue(since), parse.GetValue(until), parse.GetValue(contains), parse.GetValue(outcome)))));

        var sessionId = new Argument<string?>("id") { Description = "One session; all sessions and the index when omitted", Arity = ArgumentArity.ZeroOrOne };
        var verify = new Command("verify", "Check every hash, seal signature and the index; exit 1 when anything is wrong") { config, sessionId };
        verify.SetAction(parse => Run(parse.GetRequiredValue(config), options => Verify(options, parse.GetValue(sessionId))));

        var showId = new Argument<string>("id") { Description = "The session to show" };
        var rows = new Option<int>("--rows") { Description = "Rows shown per result", DefaultValueFactory = _ => 20 };
        var show = new Command("show", "The timeline of a session: each statement with its parameters, time, duration and result as the client saw it") { config, showId, rows };
        show.SetAction(parse => Run(parse.GetRequiredValue(config), options => Show(options, parse.GetRequiredValue(showId), parse.GetValue(rows))));

        var exportId = new Argument<string>("id") { Description = "The session to export" };
        var format = new Option<string>("--format") { Description = "json or text", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "text");
        var export = new Command("export", "The whole timeline of a session, every row included, as JSON or text") { config, exportId, format };
        export.SetAction(parse => Run(parse.GetRequiredValue(config), options => parse.GetValue(format) == "text"
            ? Show(options, parse.GetRequiredValue(exportId), int.MaxValue)
            : ExportJson(options, parse.GetRequiredValue(exportId))));

        return new Command("sessions", "Inspect recorded sessions") { list, show, export, verify };
    }

    private static int Run(FileInfo configFile, Func<RecordingOptions, int> action)
    {
        try
        {
            var configuration = ProxyConfiguration.Load(configFile.FullName);
            if (configuration.Recording is not { } recording)
            {
                Console.Error.WriteLine("configuration error: Recording: the configuration records no sessions");
                return 2;
            }

            return action(recording);
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"configuration error: {e.Message}");
            return 2;
        }
    }

    private sealed record SessionFilter(string? Identity, string? Target, DateTimeOffset? Since, DateTimeOffset? Until, string? Contains, string? Outcome)
    {
        public bool Matches(SessionRow row, string path) =>
            (Identity is null || row.Identity == Identity)
            && (Target is null || row.Target == Target)
            && (Since is null || row.Started >= Since)
            && (Until is null || row.Started < Until)
            && (Outcome is null || (row.EndReason ?? "").Contains(Outcome, StringComparison.OrdinalIgnoreCase))
            && (Contains is null || HasStatement(path, Contains));

        private static bool HasStatement(string path, string text)
        {
            try
            {
                return PostgresTimeline.Build(new RecordingReader(path).ReadRecords(), rowLimit: 0)
                    .Any(e => e.Statement?.Text.Contains(text, StringComparison.OrdinalIgnoreCase) == true);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                return false;
            }
        }
    }

    private static int List(RecordingOptions options, bool asJson, SessionFilter filter)
    {
        var rows = Directory.Exists(options.Directory)
            ? Directory.EnumerateFiles(options.Directory, "*" + RecordingFormat.FileExtension)
                .Select(path => (Path: path, Row: Describe(path)))
                .Where(r => filter.Matches(r.Row, r.Path))
                .Select(r => r.Row)
                .OrderBy(r => r.Started)
                .ToList()
            : [];
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }

        string[] header = ["SESSION", "STARTED (UTC)", "IDENTITY", "TARGET", "CLIENT", "ENDED (UTC)", "HOW IT ENDED"];
        var table = rows.Select(r => new[]
        {
            r.Id,
            r.Started?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?",
            r.Identity ?? "(not authenticated)",
            r.Target ?? "?",
            r.Client ?? "?",
            r.Ended?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "(open or unsealed)",
            r.EndReason ?? "",
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, table.Count == 0 ? 0 : table.Max(row => row[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in table)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }

        return 0;
    }

    private sealed record SessionRow(string Id, DateTimeOffset? Started, string? Identity, string? Target, string? Client, DateTimeOffset? Ended, string? EndReason, long Bytes);

    private static SessionRow Describe(string path)
    {
        var id = Path.GetFileNameWithoutExtension(path);
        try
        {
            var reader = new RecordingReader(path);
            var metadata = reader.Metadata;
            var seal = reader.ReadRecords().LastOrDefault(r => r.Type == RecordType.Seal)?.Seal;
            return new SessionRow(id, metadata.StartedAt, metadata.Identity, metadata.Target, $"{metadata.ClientAddress}:{metadata.ClientPort}",
                seal?.LastTimestamp, seal?.EndReason, new FileInfo(path).Length);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return new SessionRow(id, null, null, null, null, null, $"unreadable: {e.Message}", new FileInfo(path).Length);
        }
    }

    private static int Show(RecordingOptions options, string sessionId, int rowLimit)
    {
        var path = Path.Combine(options.Directory, sessionId + RecordingFormat.FileExtension);
        if (!RecordingFormat.IsValidSessionId(sessionId) || !File.Exists(path))
        {
            Console.Error.WriteLine($"no recorded session '{sessionId}' in {options.Directory}");
            return 1;
        }

        var reader = new RecordingReader(path);
        var records = reader.ReadRecords().ToList();
        var m = reader.Metadata;
        Console.WriteLine($"session {m.SessionId}: {m.Identity ?? "(not authenticated)"} → {m.Target} as {m.UpstreamAccount ?? "-"} from {m.ClientAddress}:{m.ClientPort}, {m.Protocol}, started {m.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC");
        foreach (var entry in PostgresTimeline.Build(records, rowLimit))
        {
            var at = $"+{entry.At.TotalSeconds,8:0.000}s";
            if (entry.Statement is { } statement)
            {
                var duration = statement.Duration is { } d ? $"  [{d.TotalMilliseconds:0.#} ms]" : "  [no answer recorded]";
                Console.WriteLine($"{at}  {statement.Text.ReplaceLineEndings(" ")}{duration}");
                if (statement.Parameters.Count > 0)
                {
                    Console.WriteLine($"{"",11}parameters: {string.Join(", ", statement.Parameters.Select((p, i) => $"${i + 1}={p ?? "NULL"}"))}");
                }

                foreach (var result in statement.Results)
                {
                    WriteResult(result);
                }
            }
            else
            {
                Console.WriteLine($"{at}  {entry.EventType}: {entry.EventFields?.ToJsonString()}");
            }
        }

        var seal = records.LastOrDefault(r => r.Type == RecordType.Seal)?.Seal;
        Console.WriteLine(seal is null ? "(not sealed: the session is open, or was interrupted and not yet recovered)" : $"sealed: {seal.RecordCount} records, ended {seal.LastTimestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC: {seal.EndReason}");
        return 0;
    }

    private static int ExportJson(RecordingOptions options, string sessionId)
    {
        var path = Path.Combine(options.Directory, sessionId + RecordingFormat.FileExtension);
        if (!RecordingFormat.IsValidSessionId(sessionId) || !File.Exists(path))
        {
            Console.Error.WriteLine($"no recorded session '{sessionId}' in {options.Directory}");
            return 1;
        }

        var reader = new RecordingReader(path);
        var records = reader.ReadRecords().ToList();
        var seal = records.LastOrDefault(r => r.Type == RecordType.Seal)?.Seal;
        var timeline = PostgresTimeline.Build(records, int.MaxValue).Select(e => e.Statement is { } s
            ? (object)new
            {
                at_seconds = e.At.TotalSeconds,
                type = "statement",
                text = s.Text,
                parameters = s.Parameters,
                duration_ms = s.Duration?.TotalMilliseconds,
                results = s.Results.Select(r => new { columns = r.Columns, rows = r.Rows, row_count = r.RowCount, outcome = r.Outcome }),
            }
            : new { at_seconds = e.At.TotalSeconds, type = "event", @event = e.EventType, fields = e.EventFields });
        Console.WriteLine(JsonSerializer.Serialize(new { session = reader.Metadata, sealed_record = seal, timeline }, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static void WriteResult(TimelineResult result)
    {
        const string indent = "           ";
        if (result.Columns.Count > 0)
        {
            var cells = result.Rows.Select(r => r.Select(v => v ?? "NULL").ToArray()).ToList();
            var widths = result.Columns.Select((c, i) => Math.Max(c.Length, cells.Count == 0 ? 0 : cells.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
            Console.WriteLine(indent + string.Join(" | ", result.Columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
            foreach (var row in cells)
            {
                Console.WriteLine(indent + string.Join(" | ", row.Select((v, i) => v.PadRight(i < widths.Length ? widths[i] : 0))).TrimEnd());
            }

            if (result.RowCount > result.Rows.Count)
            {
                Console.WriteLine($"{indent}… {result.RowCount - result.Rows.Count} more rows");
            }
        }

        if (result.Outcome is not null)
        {
            Console.WriteLine(indent + result.Outcome);
        }
    }

    private static int Verify(RecordingOptions options, string? sessionId)
    {
        var key = RecordingSigningKey.Load(options.SigningKeyFile);
        var verifier = new RecordingVerifier([key.PublicKey]);
        var report = sessionId is null ? verifier.VerifyDirectory(options.Directory) : verifier.VerifySession(options.Directory, sessionId);
        Console.WriteLine(report.ToString());
        return report.IsValid ? 0 : 1;
    }
}
