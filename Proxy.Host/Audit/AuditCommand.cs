using System.CommandLine;
using System.Globalization;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions;

namespace HoopProxy.Host.Audit;

/// <summary>
/// <c>hoopproxy audit verify|query</c>: read-only, beside a running proxy. The log is named by the configuration's
/// <c>Audit</c> section or by <c>--file</c>; exit 0 when fine, 1 when verification fails, 2 for usage and configuration errors.
/// </summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "The proxy's configuration file (its Audit section: the log and the signing key)" };
        var file = new Option<FileInfo?>("--file") { Description = "The audit log, instead of --config" };
        var publicKey = new Option<string?>("--public-key")
        {
            Description = "With --file: the checkpoints' public key (base64, a PEM PUBLIC KEY file, or the signing key file)",
        };

        var verify = new Command("verify", "Check every line's hash, the chain, the sequence and the checkpoint signatures; exit 1 naming each bad line")
        {
            config, file, publicKey,
        };
        verify.Validators.Add(result => ValidateSource(result, config, file, publicKey, keyRequired: true));
        verify.SetAction(parse => Source.Resolve(parse.GetValue(config), parse.GetValue(file), parse.GetValue(publicKey)) is { } source ? Verify(source) : 2);

        var user = new Option<string?>("--user") { Description = "Only events of this user (name or subject)" };
        var target = new Option<string?>("--target") { Description = "Only events on this target" };
        var type = new Option<string?>("--type") { Description = $"Only events of these types, comma-separated: {string.Join(", ", AuditEventTypes.All)}" };
        type.Validators.Add(result =>
        {
            if (result.GetValue(type) is { } types && Types(types).FirstOrDefault(t => !AuditEventTypes.TryParse(t, out _)) is { } unknown)
            {
                result.AddError($"--type: '{unknown}' is not one of {string.Join(", ", AuditEventTypes.All)}");
            }
        });
        var since = TimeOption("--since", "Only events at or after this time (ISO 8601; UTC unless it names an offset)");
        var until = TimeOption("--until", "Only events before this time");
        var session = new Option<string?>("--session") { Description = "Only events of this session" };
        var outcome = new Option<string?>("--outcome") { Description = "Only events with this outcome: success, failure" };
        outcome.AcceptOnlyFromAmong("success", "failure");
        var json = new Option<bool>("--json") { Description = "The matching lines as stored (JSON lines), instead of a table" };
        var color = new Option<ColorChoice>("--color") { Description = "Colour the table: auto (only on a terminal, unless NO_COLOR is set), always, never", DefaultValueFactory = _ => ColorChoice.Auto };
        var query = new Command("query", "Print the events that match every filter given, in the order they were logged")
        {
            config, file, publicKey, user, target, type, since, until, session, outcome, json, color,
        };
        query.Validators.Add(result => ValidateSource(result, config, file, publicKey, keyRequired: false));
        query.SetAction(parse =>
        {
            if (Source.Resolve(parse.GetValue(config), parse.GetValue(file), parse.GetValue(publicKey)) is not { } source)
            {
                return 2;
            }

            var filter = new AuditQuery(parse.GetValue(user), parse.GetValue(target), parse.GetValue(type) is { } t ? Types(t) : null,
                parse.GetValue(since), parse.GetValue(until), parse.GetValue(session), parse.GetValue(outcome));
            return Query(source, filter, parse.GetValue(json), ConsoleStyle.For(parse.GetValue(color)));
        });

        return new Command("audit", "Verify and search the audit trail") { verify, query };
    }

    private static void ValidateSource(System.CommandLine.Parsing.CommandResult result, Option<FileInfo?> config, Option<FileInfo?> file, Option<string?> publicKey, bool keyRequired)
    {
        var hasConfig = result.GetValue(config) is not null;
        var hasFile = result.GetValue(file) is not null;
        if (hasConfig == hasFile)
        {
            result.AddError("name the log with --config (its Audit section) or --file, one of them");
        }
        else if (hasConfig && result.GetValue(publicKey) is not null)
        {
            result.AddError("--public-key goes with --file; with --config the key comes from Audit:SigningKeyFile");
        }
        else if (hasFile && keyRequired && result.GetValue(publicKey) is null)
        {
            result.AddError("--file needs --public-key: without the key a rewritten log would pass");
        }
    }

    private static string[] Types(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A time given without an offset is UTC, as the log's times are, whatever the machine's zone.</summary>
    private static Option<DateTimeOffset?> TimeOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            {
                return time;
            }

            result.AddError($"{name} takes an ISO 8601 time such as 2026-11-26T10:00:00Z, not '{text}'");
            return null;
        },
    };

    /// <summary>The log to read and the keys to trust: from the configuration, or from --file and --public-key.</summary>
    private sealed record Source(string Path, byte[]? PublicKey)
    {
        public static Source? Resolve(FileInfo? config, FileInfo? file, string? publicKey)
        {
            if (config is not null)
            {
                if (AuditConfigFile.Load(config, Console.Error) is not { } options)
                {
                    return null;
                }

                try
                {
                    return new Source(options.File, RecordingSigningKey.Load(options.SigningKeyFile).PublicKey);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"configuration error: Audit:SigningKeyFile: {e.Message}");
                    return null;
                }
            }

            if (publicKey is null)
            {
                return new Source(file!.FullName, null);
            }

            if (!PublicKeyArgument.TryParse(publicKey, out var key, out var problem))
            {
                Console.Error.WriteLine(problem);
                return null;
            }

            return new Source(file!.FullName, key);
        }

        public AuditVerifier Verifier() => new(PublicKey is null ? null : [PublicKey]);
    }

    private static int Verify(Source source)
    {
        var report = source.Verifier().Verify(source.Path);
        Console.WriteLine(report.ToString());
        return report.IsValid ? 0 : 1;
    }

    private static int Query(Source source, AuditQuery filter, bool asJson, ConsoleStyle style)
    {
        if (!File.Exists(source.Path))
        {
            Console.Error.WriteLine($"the audit log '{source.Path}' does not exist");
            return 1;
        }

        // A search is for investigating, damaged logs included: it warns and goes on, as sessions show does.
        var report = source.Verifier().Verify(source.Path);
        if (!report.IsValid)
        {
            var count = report.Problems.Count == 1 ? "1 problem" : $"{report.Problems.Count} problems";
            Console.Error.WriteLine($"warning: the audit log fails verification ({count}, the first {report.Problems[0]}); run hoopproxy audit verify");
        }

        var matches = filter.Run(source.Path);
        if (asJson)
        {
            foreach (var line in matches)
            {
                Console.WriteLine(line.Text);
            }

            return 0;
        }

        string[] header = ["SEQ", "TIME (UTC)", "TYPE", "OUTCOME", "USER", "TARGET", "SESSION", "ACTION"];
        var rows = matches.Select(line => (IReadOnlyList<string>)
        [
            line.Seq.ToString(CultureInfo.InvariantCulture),
            line.Time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? "?",
            line.Type,
            Outcome(line),
            line.String("user.name") ?? line.String("user.subject") ?? "",
            line.String("resource.target") ?? "",
            line.String(AuditFields.SessionId) ?? "",
            OneLine(line.String(AuditFields.Action)),
        ]).ToList();
        TextTable.Write(Console.Out, header, rows, styleHeader: style.Bold);
        return 0;
    }

    private static string Outcome(AuditLine line) =>
        line.String(AuditFields.ErrorCode) is { } code ? $"{line.String(AuditFields.Outcome)} ({code})" : line.String(AuditFields.Outcome) ?? "?";

    /// <summary>Statements span lines; the table shows the first 80 characters of one, with its line breaks as spaces.</summary>
    private static string OneLine(string? text)
    {
        if (text is null)
        {
            return "";
        }

        var flat = string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return flat.Length <= 80 ? flat : flat[..79] + "…";
    }
}
