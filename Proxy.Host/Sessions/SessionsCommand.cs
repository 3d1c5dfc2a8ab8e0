using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Configuration;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Postgres.Recording;

namespace HoopProxy.Host.Sessions;

/// <summary>
/// <c>hoopproxy sessions list|show|export|verify|replay</c>: read-only forensics over the recording directory. They read the
/// files directly and never take the store's lock, so they work beside a running proxy.
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
        var contains = new Option<string?>("--contains") { Description = "Only sessions with a statement (PostgreSQL) or a command line (SSH) containing this text" };
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
            ? ExportJson(options, parse.GetRequiredValue(showId), parse.GetValue(rows), Console.Out)
            : ShowText(options, parse.GetRequiredValue(showId), parse.GetValue(rows), ConsoleStyle.For(parse.GetValue(color)), Console.Out)));

        var exportId = new Argument<string>("id") { Description = "The session to export" };
        var format = new Option<string>("--format")
        {
            Description = "json, text, asciicast (an SSH terminal, for asciinema), or pcap (an SSH session's forwarded channels as TCP, for Wireshark)",
            DefaultValueFactory = _ => "json",
        };
        format.AcceptOnlyFromAmong("json", "text", "asciicast", "pcap");
        var exportChannel = new Option<uint?>("--channel") { Description = "asciicast: the channel to export (default: the first with a terminal, else the first with a command)" };
        var input = new Option<bool>("--input") { Description = "asciicast: also what the client typed (it may hold passwords typed at a prompt)" };
        var exportUnverified = new Option<bool>("--unverified") { Description = "asciicast, pcap: export even when the session fails verification" };
        var outputFile = new Option<FileInfo?>("--output", "-o") { Description = "Write to this file instead of stdout" };
        var export = new Command("export", "The whole timeline of a session, every row included, as JSON or text; an SSH terminal as asciicast v2; or an SSH session's forwarded channels as a pcap")
        {
            config, exportId, format, exportChannel, input, exportUnverified, outputFile,
        };
        export.Validators.Add(result =>
        {
            var chosen = result.GetValue(format);
            if (chosen != "asciicast" && (result.GetValue(exportChannel) is not null || result.GetValue(input)))
            {
                result.AddError("--channel and --input apply to --format asciicast only");
            }

            if (chosen is not ("asciicast" or "pcap") && result.GetValue(exportUnverified))
            {
                result.AddError("--unverified applies to --format asciicast and pcap only (json and text warn instead)");
            }
        });
        export.SetAction(parse => Run(parse.GetRequiredValue(config), options => Export(options, parse.GetRequiredValue(exportId), parse.GetValue(format)!,
            parse.GetValue(outputFile), new AsciicastRequest(parse.GetRequiredValue(exportId), parse.GetValue(exportChannel), parse.GetValue(input), parse.GetValue(exportUnverified)))));

        var replay = CreateReplay(config);

        return new Command("sessions", "Inspect recorded sessions") { list, show, export, verify, replay };
    }

    private static Command CreateReplay(Option<FileInfo> config)
    {
        var id = new Argument<string>("id") { Description = "The SSH session to play" };
        var speed = new Option<double>("--speed") { Description = "Play this many times as fast (0.5 is half speed)", DefaultValueFactory = _ => 1 };
        speed.Validators.Add(result =>
        {
            if (result.GetValue(speed) is not (> 0 and < double.PositiveInfinity))
            {
                result.AddError("--speed must be a number above 0");
            }
        });
        var from = new Option<TimeSpan?>("--from")
        {
            Description = "Start playing at this time of the session (seconds such as 12.5, or mm:ss, as show prints it); the output before it is written at once",
            CustomParser = result =>
            {
                if (SessionTime.TryParse(result.Tokens[0].Value, out var time))
                {
                    return time;
                }

                result.AddError($"--from takes seconds (12.5), mm:ss or hh:mm:ss, not '{result.Tokens[0].Value}'");
                return null;
            },
        };
        var channel = new Option<uint?>("--channel") { Description = "The channel to play (default: the first with a terminal, else the first with a command)" };
        var maxIdle = new Option<double?>("--max-idle") { Description = "No pause lasts longer than this many seconds" };
        maxIdle.Validators.Add(result =>
        {
            if (result.GetValue(maxIdle) is { } seconds && seconds is not (> 0 and < double.PositiveInfinity))
            {
                result.AddError("--max-idle must be a number of seconds above 0");
            }
        });
        var unverified = new Option<bool>("--unverified") { Description = "Play even when the session fails verification (a warning says so)" };
        var replay = new Command("replay", "Play an SSH terminal session on stdout at its recorded pace (Ctrl-C stops)") { config, id, speed, from, channel, maxIdle, unverified };
        replay.SetAction((parse, _) => RunAsync(parse.GetRequiredValue(config), options => Replay(options, new ReplayRequest(
            parse.GetRequiredValue(id),
            new ReplayPace(parse.GetValue(speed), parse.GetValue(from), parse.GetValue(maxIdle) is { } idle ? TimeSpan.FromSeconds(idle) : null),
            parse.GetValue(channel),
            parse.GetValue(unverified),
            ResetTerminalOnStop: !Console.IsOutputRedirected))));
        return replay;
    }

    /// <summary>
    /// Ctrl-C stops the replay, not the process: Program.cs turns off System.CommandLine's own handling (for serve's
    /// graceful stop), so the replay listens for it here.
    /// </summary>
    private static async Task<int> Replay(RecordingOptions options, ReplayRequest request)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            await using var stdout = Console.OpenStandardOutput();
            return await SessionReplay.RunAsync(options, request, stdout, Console.Error, TimeProvider.System, stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static int Export(RecordingOptions options, string sessionId, string format, FileInfo? outputFile, AsciicastRequest asciicast)
    {
        if (format == "asciicast")
        {
            return ExportBinary(outputFile, openOutput => AsciicastExport.Run(options, asciicast, openOutput, Console.Error));
        }

        if (format == "pcap")
        {
            return ExportBinary(outputFile, openOutput => PcapExport.Run(options, new PcapRequest(sessionId, asciicast.Unverified), openOutput, Console.Error));
        }

        if (outputFile is not null && SessionCatalog.Find(options.Directory, sessionId) is null)
        {
            return 1;
        }

        using var file = outputFile is null ? null : new StreamWriter(outputFile.FullName);
        var output = file ?? Console.Out;
        return format == "text"
            ? ShowText(options, sessionId, int.MaxValue, new ConsoleStyle(false), output)
            : ExportJson(options, sessionId, int.MaxValue, output);
    }

    /// <summary>
    /// Runs an export that opens its output only once it has something to write, to the file or stdout. A file is
    /// deleted when the export fails: a cast or a capture cut off by a damaged record would read as if the session had
    /// ended there.
    /// </summary>
    private static int ExportBinary(FileInfo? outputFile, Func<Func<Stream>, int> export)
    {
        var created = false;
        var code = export(() =>
        {
            if (outputFile is null)
            {
                return Console.OpenStandardOutput();
            }

            created = true;
            return outputFile.Open(FileMode.Create, FileAccess.Write);
        });
        if (code != 0 && created)
        {
            outputFile!.Delete();
        }

        return code;
    }

    private static int Run(FileInfo configFile, Func<RecordingOptions, int> action) =>
        LoadRecording(configFile) is { } recording ? action(recording) : 2;

    private static async Task<int> RunAsync(FileInfo configFile, Func<RecordingOptions, Task<int>> action) =>
        LoadRecording(configFile) is { } recording ? await action(recording) : 2;

    /// <summary>The Recording section, or null with the configuration error on stderr.</summary>
    private static RecordingOptions? LoadRecording(FileInfo configFile)
    {
        try
        {
            var configuration = ProxyConfiguration.Load(configFile.FullName);
            if (configuration.Recording is not { } recording)
            {
                Console.Error.WriteLine("configuration error: Recording: the configuration records no sessions");
                return null;
            }

            return recording;
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine($"configuration error: {e.Message}");
            return null;
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

    private static int ShowText(RecordingOptions options, string sessionId, int rowLimit, ConsoleStyle style, TextWriter output)
    {
        if (SessionCatalog.Find(options.Directory, sessionId) is not { } path)
        {
            return 1;
        }

        WarnIfAltered(options, sessionId);
        new TimelineText(output, style).Write(new RecordingReader(path), rowLimit);
        return 0;
    }

    /// <summary>show and the json/text exports are for investigating, damaged files included: they warn on stderr and go on.</summary>
    private static void WarnIfAltered(RecordingOptions options, string sessionId) =>
        SessionIntegrity.Check(options, sessionId, Console.Error, proceedAnyway: true, refusalHint: "");

    private static int ExportJson(RecordingOptions options, string sessionId, int rowLimit, TextWriter output)
    {
        if (SessionCatalog.Find(options.Directory, sessionId) is not { } path)
        {
            return 1;
        }

        WarnIfAltered(options, sessionId);
        var reader = new RecordingReader(path);
        var records = reader.ReadRecords().ToList();
        var seal = records.LastOrDefault(r => r.Type == RecordType.Seal)?.Seal;
        if (SshSessions.IsSsh(reader.Metadata))
        {
            output.WriteLine(JsonSerializer.Serialize(SshJson(reader.Metadata, seal, records), Indented));
            return 0;
        }

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
        output.WriteLine(JsonSerializer.Serialize(new { session = reader.Metadata, sealed_record = seal, timeline }, Indented));
        return 0;
    }

    /// <summary>An SSH session: its channels (what ran, on which terminal, how it ended) and its events, with data as byte counts.</summary>
    private static object SshJson(SessionMetadata metadata, SealInfo? seal, List<SessionRecord> records) => new
    {
        session = metadata,
        sealed_record = seal,
        channels = SshChannels.Read(records).Select(c => new
        {
            channel = c.Id,
            type = c.Type,
            opened_at_seconds = c.OpenedAt.TotalSeconds,
            command = c.Command,
            term = c.Term,
            cols = c.Cols,
            rows = c.Rows,
            exit_status = c.ExitStatus,
            exit_signal = c.ExitSignal,
        }),
        timeline = SshTimeline.Build(records).Select(e => e.Data is { } data
            ? (object)new
            {
                at_seconds = e.At.TotalSeconds,
                type = "data",
                channel = data.Channel,
                from = data.Direction == RecordDirection.ClientToServer ? "client" : "server",
                stream = data.Stream switch { ChannelStream.Data => "data", ChannelStream.Stderr => "stderr", _ => "extended" },
                bytes = data.Bytes,
                messages = data.Messages,
            }
            : new { at_seconds = e.At.TotalSeconds, type = "event", @event = e.EventType, fields = e.Fields }),
    };

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
