using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// The lines of <c>sessions show</c> for an SSH session: each event as a sentence (who logged in how, which channels
/// opened, the command lines, terminal sizes, signals and exit statuses) and the data between events as byte counts
/// per channel and stream.
/// </summary>
public sealed class SshTimelineText(TextWriter output, ConsoleStyle style)
{
    /// <summary>Unknown events as a person reads them: quotes and non-ASCII text unescaped.</summary>
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Write(IEnumerable<SessionRecord> records)
    {
        foreach (var entry in SshTimeline.Build(records))
        {
            var at = style.Dim(string.Create(CultureInfo.InvariantCulture, $"+{entry.At.TotalSeconds,8:0.000}s"));
            output.WriteLine($"{at}  {(entry.Data is { } data ? style.Dim(Describe(data)) : Describe(entry.EventType ?? "?", entry.Fields ?? []))}");
        }
    }

    public static string Describe(SshDataRun data)
    {
        var what = (data.Direction, data.Stream) switch
        {
            (RecordDirection.ClientToServer, ChannelStream.Data) => "input",
            (RecordDirection.ClientToServer, _) => "extended input",
            (_, ChannelStream.Data) => "output",
            (_, ChannelStream.Stderr) => "stderr",
            _ => "extended output",
        };
        var amount = $"{data.Bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes{(data.Messages > 1 ? $" in {data.Messages} messages" : "")}";
        return data.Channel is { } channel
            ? $"channel {channel} {what}: {amount}"
            : $"{(data.Messages > 1 ? $"{data.Messages} data records" : "a data record")} that {(data.Messages > 1 ? "are" : "is")} not an SSH channel message ({amount})";
    }

    private string Describe(string type, JsonObject f)
    {
        var channel = $"channel {Text(f["channel"])}";
        return type switch
        {
            "login" => Tone(Text(f["outcome"]) == "success",
                $"login {Text(f["user"])} by {Text(f["method"])}{Optional(" key ", f["key_fingerprint"])}{Optional(" to ", f["target"])}: {Text(f["outcome"])}{Optional(": ", f["reason"])}"),
            "upstream" => Tone(Text(f["outcome"]) == "success",
                $"upstream {Text(f["target"])} at {Text(f["host"])}:{Text(f["port"])} as {Text(f["account"])}{Optional(", host key ", f["host_key"])}: {Text(f["outcome"])}{Optional(": ", f["message"])}"),
            "channel-open" => $"{channel} opened: {Text(f["type"])}{Forwarded(f)}, by the {Text(f["from"])}{Optional(", rule ", f["rule"])}",
            "channel-request" => Request(channel, f),
            "channel-refused" => style.Yellow($"channel{Optional(" ", f["channel"])} refused: {Text(f["type"])}{Optional(" from the ", f["from"])}{Optional(" by the ", f["refused_by"])}: {Text(f["reason"])}"),
            "channel-eof" => style.Dim($"{channel}: end of data from the {Text(f["from"])}"),
            "channel-close" => style.Dim($"{channel} closed by the {Text(f["from"])}"),
            "typed-line" => TypedLine(channel, f),
            "global-request" => GlobalRequest(f),
            "global-reply" => Tone(f["success"]?.GetValueKind() == JsonValueKind.True,
                $"the target {(f["success"]?.GetValueKind() == JsonValueKind.True ? "agreed to" : "refused")} {Text(f["request"])} {Text(f["address"])}:{Text(f["port"])}{Optional(", listening on port ", f["bound_port"])}"),
            "approval" => Approval(channel, f),
            "disconnect" => $"disconnect: {Text(f["reason"])}",
            _ => style.Dim($"{type}: {f.ToJsonString(Readable)}"),
        };
    }

    private string Request(string channel, JsonObject f)
    {
        var request = Text(f["request"]);
        var from = Text(f["from"]) == "server" ? " (from the server)" : "";
        if (f["refused"] is { } refused)
        {
            return style.Yellow($"{channel}: {request} refused: {Text(refused)}");
        }

        if (f["malformed"] is { } malformed)
        {
            return style.Yellow($"{channel}: {request}{from}, malformed: {Text(malformed)}");
        }

        return request switch
        {
            "exec" => $"{channel}: exec {style.Cyan(Text(f["command"]))}{Optional(" (held for approval: ", f["approval"])}{(f["approval"] is null ? "" : ")")}",
            "shell" => $"{channel}: {style.Cyan("shell")}",
            "subsystem" => $"{channel}: subsystem {style.Cyan(Text(f["subsystem"]))}",
            "pty-req" => $"{channel}: terminal {Text(f["term"])} {Text(f["cols"])}x{Text(f["rows"])}",
            "window-change" => style.Dim($"{channel}: resized to {Text(f["cols"])}x{Text(f["rows"])}"),
            "env" => style.Dim($"{channel}: env {Text(f["name"])}={Text(f["value"])}"),
            "signal" => style.Yellow($"{channel}: signal {Text(f["signal"])}{from}"),
            "exit-status" => Tone(Text(f["status"]) == "0", $"{channel}: exit status {Text(f["status"])}"),
            "exit-signal" => style.Red($"{channel}: killed by signal {Text(f["signal"])}" +
                $"{(f["core_dumped"]?.GetValueKind() == JsonValueKind.True ? " (core dumped)" : "")}{Optional(": ", f["message"])}"),
            _ => style.Dim($"{channel}: {request}{from}"),
        };
    }

    /// <summary>Where a forwarded channel leads: " to host:port from originator" (direct-tcpip) or " on host:port from originator" (ssh -R).</summary>
    private static string Forwarded(JsonObject f) => f["port"] is null ? ""
        : $"{(Text(f["type"]) == "forwarded-tcpip" ? " on " : " to ")}{Text(f["host"])}:{Text(f["port"])}{Optional(" from ", f["originator"])}";

    private string GlobalRequest(JsonObject f)
    {
        var where = f["address"] is null ? "" : $" {Text(f["address"])}:{Text(f["port"])}";
        var text = $"global request {Text(f["request"])}{where} from the {Text(f["from"])}{Optional(", rule ", f["rule"])}";
        return f["refused"] is { } refused ? style.Yellow($"{text} refused: {Text(refused)}") : text;
    }

    /// <summary>An exec request held for approval, and its outcome.</summary>
    private string Approval(string channel, JsonObject f)
    {
        var status = Text(f["status"]);
        var text = $"{channel}: approval {Text(f["request"])} {status}{Optional(" by ", f["decided_by"])} under rule {Text(f["rule"])}" +
            $"{Optional(": ", f["reason"])}{(status == "requested" ? $", approvers {string.Join(", ", f["approvers"]?.AsArray().Select(Text) ?? [])}" : "")}";
        return status switch
        {
            "approved" => style.Green(text),
            "requested" => style.Yellow(text),
            _ => style.Red(text),
        };
    }

    /// <summary>A command line reconstructed from keystrokes (docs/ssh.md, "Typed command lines"); control characters shown as ^X.</summary>
    private string TypedLine(string channel, JsonObject f)
    {
        static bool Flag(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;
        var line = f["redacted"] is { } redacted ? $"[not shown: {Text(redacted)}]" : Caret(Text(f["line"]));
        var how = Flag(f["cancelled"]) ? " (cancelled)" : Flag(f["unfinished"]) ? " (unfinished)" : Flag(f["withheld"]) ? " (withheld: never reached the shell)" : "";
        var text = $"{channel} typed{how}: {line}{Optional(" (uncertain: ", f["reason"])}{(f["reason"] is null ? "" : ")")}";
        return f["blocked"] is { } blocked ? style.Red($"{text}: blocked, the session ended: {Text(blocked)}") : how.Length > 0 ? style.Dim(text) : text;
    }

    private static string Caret(string text) => text.Any(char.IsControl)
        ? string.Concat(text.Select(c => c < 0x20 ? $"^{(char)(c + 64)}" : c == 0x7F ? "^?" : char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()))
        : text;

    private string Tone(bool good, string line) => good ? line : style.Red(line);

    private static string Text(JsonNode? node) => node switch
    {
        null => "?",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(Readable),
    };

    /// <summary>The prefix and the field when the field is there and not empty, else nothing.</summary>
    private static string Optional(string prefix, JsonNode? node) => node is null || Text(node).Length == 0 ? "" : prefix + Text(node);
}
