using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Configuration;

namespace HoopProxy.Host.Sessions;

/// <summary>
/// <c>hoopproxy sessions list|verify</c>: read-only forensics over the recording directory. They read the files
/// directly and never take the store's lock, so they work beside a running proxy.
/// </summary>
public static class SessionsCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "The proxy's configuration file (its Recording section)", Required = true };
        var json = new Option<bool>("--json") { Description = "Machine-readable output" };
        var list = new Command("list", "List recorded sessions") { config, json };
        list.SetAction(parse => Run(parse.GetRequiredValue(config), options => List(options, parse.GetValue(json))));

        var sessionId = new Argument<string?>("id") { Description = "One session; all sessions and the index when omitted", Arity = ArgumentArity.ZeroOrOne };
        var verify = new Command("verify", "Check every hash, seal signature and the index; exit 1 when anything is wrong") { config, sessionId };
        verify.SetAction(parse => Run(parse.GetRequiredValue(config), options => Verify(options, parse.GetValue(sessionId))));

        return new Command("sessions", "Inspect recorded sessions") { list, verify };
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

    private static int List(RecordingOptions options, bool asJson)
    {
        var rows = Directory.Exists(options.Directory)
            ? Directory.EnumerateFiles(options.Directory, "*" + RecordingFormat.FileExtension).Select(Describe).OrderBy(r => r.Started).ToList()
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

    private static int Verify(RecordingOptions options, string? sessionId)
    {
        var key = RecordingSigningKey.Load(options.SigningKeyFile);
        var verifier = new RecordingVerifier([key.PublicKey]);
        var report = sessionId is null ? verifier.VerifyDirectory(options.Directory) : verifier.VerifySession(options.Directory, sessionId);
        Console.WriteLine(report.ToString());
        return report.IsValid ? 0 : 1;
    }
}
