using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// The lines of <c>sessions show</c> for an SSH session: each event as a sentence (who logged in how, which channels
/// opened, the command lines, terminal sizes, signals and exit statuses, the SFTP operations with the files' sizes and
/// hashes) and the data between events as byte counts per channel and stream.
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
            "sftp" => $"{channel}: {Sftp(f)}",
            "global-request" => GlobalRequest(f),
            "global-reply" => Tone(f["success"]?.GetValueKind() == JsonValueKind.True,
                $"the target {(f["success"]?.GetValueKind() == JsonValueKind.True ? "agreed to" : "refused")} {Text(f["request"])} {Text(f["address"])}:{Text(f["port"])}{Optional(", listening on port ", f["bound_port"])}"),
            "approval" => Approval(channel, f),
            "revocation" => style.Yellow($"the proxy ended the session ({Text(f["cause"])}): {Text(f["reason"])}"),
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

    /// <summary>An SFTP operation as a sentence; the outcome follows when it is not plain success.</summary>
    private string Sftp(JsonObject f)
    {
        var operation = Text(f["operation"]);
        var path = Shown(f["path"]);
        var attributes = f["attributes"] is JsonObject set ? Attributes(set) : "";
        var line = operation switch
        {
            "open" => $"sftp open {path} ({string.Join(", ", Names(f["flags"]))}{(attributes.Length > 0 ? ", " + attributes : "")})",
            "close" => Transfer(f, path),
            "listing" => $"sftp list {path}{(f["entries"] is { } entries ? $": {Text(entries)} entries" : "")}",
            "rename" => $"sftp rename {path} to {Shown(f["new_path"])}",
            "symlink" or "hardlink" => $"sftp {operation} {path} -> {Shown(f["target"])}",
            "setstat" or "fsetstat" => $"sftp {operation} {path}: {(attributes.Length > 0 ? attributes : "nothing")}",
            "mkdir" => $"sftp mkdir {path}{(attributes.Length > 0 ? $" ({attributes})" : "")}",
            "copy" => $"sftp copy {path} from offset {Text(f["offset"])} to {Shown(f["destination"])} at {Text(f["destination_offset"])}, " +
                (Text(f["length"]) == "0" ? "to the end" : $"{Text(f["length"])} bytes"),
            "extension" => $"sftp extension {Shown(f["extension"])}",
            "decoding-stopped" => $"sftp decoding stopped at the {Text(f["from"])}'s bytes: {Text(f["reason"])}",
            _ => $"sftp {operation} {path}",
        };

        if (operation == "decoding-stopped" || f["unfinished"] is not null || f["unanswered"] is not null)
        {
            return style.Yellow(line + (f["unfinished"] is not null ? ", unfinished: the channel closed with it still open"
                : f["unanswered"] is not null ? ": no answer before the channel closed" : ""));
        }

        var status = Text(f["status"]);
        return status == "ok" ? (operation == "open" ? style.Dim(line) : line) : style.Red($"{line}: {status}{Optional(": ", f["message"])}");
    }

    /// <summary>A closed file: what moved through it, how much, and the whole file's hash or why there is none.</summary>
    private static string Transfer(JsonObject f, string path)
    {
        var read = f["bytes_read"]?.GetValue<long>() ?? 0;
        var written = f["bytes_written"]?.GetValue<long>() ?? 0;
        var hashed = f.ContainsKey("sha256");
        var verb = (read, written) switch
        {
            ( > 0, > 0) => "read and write",
            (_, > 0) => "write",
            ( > 0, _) => "read",
            _ when hashed => Names(f["flags"]).Contains("write") ? "write" : "read",
            _ => "close",
        };
        var amount = read > 0 && written > 0 ? $"{read} bytes read, {written} written" : $"{Math.Max(read, written)} bytes";
        if (f["unfinished"] is not null && f["sha256"] is null)
        {
            // No hash, and the reason is the one the line ends with.
            return $"sftp {(verb == "close" ? "open" : verb)} {path}: {amount} so far";
        }

        var hash = f["sha256"] is { } sha256 ? $", sha256 {Text(sha256)}" : hashed ? $", no sha256: {Text(f["sha256_unavailable"])}" : "";
        return verb == "close" ? $"sftp close {path} (nothing read or written)" : $"sftp {verb} {path}: {amount}{hash}";
    }

    private static string Attributes(JsonObject set) =>
        string.Join(", ", set.Select(a => a.Key == "extended" ? $"extended {string.Join(" ", Names(a.Value))}" : $"{a.Key} {Text(a.Value)}"));

    private static List<string> Names(JsonNode? array) => array is JsonArray names ? [.. names.Select(Text)] : [];

    /// <summary>
    /// A path as recorded, with control characters written as <c>\xNN</c>: a file name holding a newline must not
    /// start a line of its own that reads like another event.
    /// </summary>
    private static string Shown(JsonNode? node)
    {
        var text = Text(node);
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var shown = new System.Text.StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            shown.Append(char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString());
        }

        return shown.ToString();
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
