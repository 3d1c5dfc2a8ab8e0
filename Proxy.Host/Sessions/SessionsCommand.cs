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
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "The proxy's configuration file (its Recording section)", Required = true };
        var color = new Option<ColorChoice>("--color") { Description = "Colour the output: auto (only on a terminal, unless NO_COLOR is set), always, never", DefaultValueFactory = _ => ColorChoice.Auto };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var identity = new Option<string?>("--identity") { Description = "Only sessions of this identity" };
        var target = new Option<string?>("--target") { Description = "Only sessions to this target" };
        var protocol = new Option<string?>("--protocol") { Description = "Only sessions of this protocol (postgres, ssh)" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only sessions started at or after this time (ISO 8601)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Only sessions started before this time" };
        var contains = new Option<string?>("--contains") { Description = "Only sessions with a statement containing this text" };
        var outcome = new Option<string?>("--outcome") { Description = "Only sessions whose end reason contains this text (e.g. 28P01, interrupted)" };
        var list = new Command("list", "List recorded sessions") { config, json, color, identity, target, protocol, since, until, contains, outcome };
        list.SetAction(parse => Run(parse.GetRequiredValue(config), options => List(options, parse.GetValue(json), ConsoleStyle.For(parse.GetValue(color)), new SessionFilter(
            parse.GetValue(identity), parse.GetValue(target), parse.GetValue(protocol), parse.GetValue(since), parse.GetValue(until), parse.GetValue(contains), parse.GetValue(outcome)))));

        var sessionId = new Argument<string?>("id") { Description = "One session; all sessions and the index when omitted", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Every session and the index (the default without an id)" };
        var verify = new Command("verify", "Check every hash, seal signature and the index; exit 1 when anything is wrong") { config, sessionId, all };
        verify.SetAction(parse => Run(parse.GetRequiredValue(config), options => Verify(options, parse.GetValue(sessionId), parse.GetValue(all))));

        var showId = new Argument<string>("id") { Description = "The session to show" };
        var rows = new Option<int>("--rows") { Description = "Rows shown per result", DefaultValueFactory = _ => 20 };
        var show = new Command("show", "The timeline of a session: each statement with its parameters, time, duration and result as the client saw it") { config, showId, rows, color, json };
        show.SetAction(parse => Run(parse.GetRequiredValue(config), options => parse.GetValue(json)
            ? ExportJson(options, parse.GetRequiredValue(showId), parse.GetValue(rows))
            : ShowText(options, parse.GetRequiredValue(showId), parse.GetValue(rows), ConsoleStyle.For(parse.GetValue(color)))));

        var exportId = new Argument<string>("id") { Description = "The session to export" };
        var format = new Option<string>("--format") { Description = "json or text", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "text");
        var export = new Command("export", "The whole timeline of a session, every row included, as JSON or text") { config, exportId, format };
        export.SetAction(parse => Run(parse.GetRequiredValue(config), options => parse.GetValue(format) == "text"
            ? ShowText(options, parse.GetRequiredValue(exportId), int.MaxValue, new ConsoleStyle(false))
            : ExportJson(options, parse.GetRequiredValue(exportId), int.MaxValue)));

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

    private static int List(RecordingOptions options, bool asJson, ConsoleStyle style, SessionFilter filter)
    {
        var rows = SessionCatalog.List(options.Directory, filter);
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows, Indented));
            return 0;
        }

        string[] header = ["SESSION", "PROTOCOL", "STARTED (UTC)", "IDENTITY", "TARGET", "CLIENT", "ENDED (UTC)", "HOW IT ENDED"];
        var table = rows.Select(r => (IReadOnlyList<string>)
        [
            r.Id,
            r.Protocol ?? "?",
            r.Started?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?",
            r.Identity ?? "(not authenticated)",
            r.Target ?? "?",
            r.Client ?? "?",
            r.Ended?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "(open or unsealed)",
            r.EndReason ?? "",
        ]).ToList();
        TextTable.Write(Console.Out, header, table, styleHeader: style.Bold);
        return 0;
    }

    private static int ShowText(RecordingOptions options, string sessionId, int rowLimit, ConsoleStyle style)
    {
        if (SessionCatalog.Find(options.Directory, sessionId) is not { } path)
        {
            return 1;
        }

        new TimelineText(Console.Out, style).Write(new RecordingReader(path), rowLimit);
        return 0;
    }

    private static int ExportJson(RecordingOptions options, string sessionId, int rowLimit)
    {
        if (SessionCatalog.Find(options.Directory, sessionId) is not { } path)
        {
            return 1;
        }

        var reader = new RecordingReader(path);
        var records = reader.ReadRecords().ToList();
        var seal = records.LastOrDefault(r => r.Type == RecordType.Seal)?.Seal;
        var timeline = PostgresTimeline.Build(records, rowLimit).Select(e => e.Statement is { } s
            ? (object)new
            {
                at_seconds = e.At.TotalSeconds,
                type = "statement",
                text = s.Text,
                parameters = s.Parameters,
                statements = s.Facts.Select(f => new { @class = f.Class, command = f.Command, reads = f.Reads, writes = f.Writes, functions = f.Functions, parse_error = f.Problem }),
                duration_ms = s.Duration?.TotalMilliseconds,
                results = s.Results.Select(r => new { columns = r.Columns, rows = r.Rows, row_count = r.RowCount, outcome = r.Outcome }),
            }
            : new { at_seconds = e.At.TotalSeconds, type = "event", @event = e.EventType, fields = e.EventFields });
        Console.WriteLine(JsonSerializer.Serialize(new { session = reader.Metadata, sealed_record = seal, timeline }, Indented));
        return 0;
    }

    private static int Verify(RecordingOptions options, string? sessionId, bool all)
    {
        if (sessionId is not null && all)
        {
            Console.Error.WriteLine("verify takes a session id or --all, not both");
            return 2;
        }

        var key = RecordingSigningKey.Load(options.SigningKeyFile);
        var verifier = new RecordingVerifier([key.PublicKey]);
        var report = sessionId is null ? verifier.VerifyDirectory(options.Directory) : verifier.VerifySession(options.Directory, sessionId);
        Console.WriteLine(report.ToString());
        return report.IsValid ? 0 : 1;
    }
}
