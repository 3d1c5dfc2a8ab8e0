using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Recording;
using HoopProxy.Tests.Unit.Recording;

namespace HoopProxy.Tests.Unit.Audit;

/// <summary>A temporary directory with an audit log's signing key, and helpers to write events and edit lines as an attacker would.</summary>
internal sealed class AuditFixture : IDisposable
{
    public AuditFixture(int checkpointEvents = 1000, bool failClosed = true, int queueCapacity = 256, TimeSpan? writeTimeout = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "hoopproxy-audit-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
        KeyFile = Path.Combine(Root, "audit.key");
        Key = RecordingSigningKey.Generate(KeyFile);
        Options = new AuditOptions(Path.Combine(Root, "logs", "audit.jsonl"), KeyFile, TimeSpan.FromHours(1), checkpointEvents, failClosed,
            queueCapacity, writeTimeout ?? TimeSpan.FromSeconds(5));
    }

    public string Root { get; }
    public string KeyFile { get; }
    public RecordingSigningKey Key { get; }
    public AuditOptions Options { get; set; }
    public ListLogger Logger { get; } = new();
    public string LogPath => Options.File;

    public Task<AuditLog> OpenAsync(TimeProvider? time = null) => AuditLog.OpenAsync(Options, Logger, time, proxyHost: "proxy-1");

    public AuditVerificationReport Verify() => new AuditVerifier([Key.PublicKey]).Verify(LogPath);

    public static readonly AuditContext AliceOnBank = new(
        "pg-1",
        new AuditUser("https://idp.example.test", "0f3a", "alice@example.test", ["analysts"], "app"),
        "jti-77",
        new AuditOrigin("192.0.2.10", 51234),
        new AuditResource("postgres", "bank", "bank", []));

    /// <summary>Writes <paramref name="count"/> statements of alice's; with the log's started event they are lines 2…count+1.</summary>
    public static async Task WriteStatementsAsync(AuditLog log, int count, int from = 1)
    {
        for (var i = from; i < from + count; i++)
        {
            await log.WriteAsync(AliceOnBank.Event(AuditEventType.Statement, AuditOutcome.Success, action: $"SELECT {i}",
                details: new JsonObject { ["class"] = "READ" }, objects: ["public.accounts"]));
        }
    }

    /// <summary>A log of a started event, <paramref name="statements"/> statements, the stopped event and the closing checkpoint.</summary>
    public async Task WriteClosedLogAsync(int statements)
    {
        await using var log = await OpenAsync();
        await WriteStatementsAsync(log, statements);
    }

    public List<string> Lines() => [.. File.ReadAllText(LogPath).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    public void WriteLines(IEnumerable<string> lines) => File.WriteAllText(LogPath, string.Concat(lines.Select(l => l + "\n")));

    public JsonObject Json(int lineNumber) => JsonNode.Parse(Lines()[lineNumber - 1])!.AsObject();

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A line rebuilt from its JSON with a hash that matches (what an attacker who knows the format writes).</summary>
    public static string Rehash(JsonObject line)
    {
        line.Remove("hash");
        var body = Encoding.UTF8.GetBytes(line.ToJsonString(Relaxed));
        return Encoding.UTF8.GetString(AuditLineFormat.Seal(body, out _)).TrimEnd('\n');
    }

    /// <summary>The hash a line states.</summary>
    public static string HashOf(string line) => JsonNode.Parse(line)!["hash"]!.GetValue<string>();

    /// <summary>Rewrites the chain from <paramref name="fromLine"/> on: each <c>prev</c> set to the hash before it and each line rehashed.</summary>
    public static void Rechain(List<string> lines, int fromLine)
    {
        for (var i = fromLine - 1; i < lines.Count; i++)
        {
            var json = JsonNode.Parse(lines[i])!.AsObject();
            json["prev"] = i == 0 ? AuditLineFormat.ZeroHash : HashOf(lines[i - 1]);
            lines[i] = Rehash(json);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
