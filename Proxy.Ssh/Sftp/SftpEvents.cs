using System.Text.Json.Nodes;

namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// The fields of the <c>sftp</c> events (docs/recording-format.md, "SFTP events"): one per operation, with its
/// <c>operation</c>, the paths it concerns, and how the server answered (<c>status</c>, <c>message</c>).
/// </summary>
internal static class SftpEvents
{
    public const string Type = "sftp";

    public static JsonObject Operation(string operation, string path) => new() { ["operation"] = operation, ["path"] = path };

    public static JsonObject Open(string path, SftpOpenFlags flags, SftpAttributes attributes) =>
        WithAttributes(new JsonObject { ["operation"] = "open", ["path"] = path, ["flags"] = Flags(flags) }, attributes);

    /// <summary>A failed opendir: the listing that did not happen.</summary>
    public static JsonObject Listing(string path) => Operation("listing", path);

    /// <summary>Two paths: a rename's old and new name (<c>path</c>, <c>new_path</c>).</summary>
    public static JsonObject Rename(string path, string newPath, string? extension = null) =>
        WithExtension(new JsonObject { ["operation"] = "rename", ["path"] = path, ["new_path"] = newPath }, extension);

    /// <summary>A link made at <c>path</c> to <c>target</c> (symlink: what the link holds; hardlink: the existing file).</summary>
    public static JsonObject Link(string operation, string path, string target, string? extension = null) =>
        WithExtension(new JsonObject { ["operation"] = operation, ["path"] = path, ["target"] = target }, extension);

    /// <summary>setstat, fsetstat (with the handle) and lsetstat (as setstat with its extension name): what was set.</summary>
    public static JsonObject SetStat(string operation, string path, SftpAttributes attributes, byte[]? handle = null, string? extension = null)
    {
        var fields = Operation(operation, path);
        if (handle is not null)
        {
            fields["handle"] = Convert.ToHexStringLower(handle);
        }

        fields["attributes"] = attributes.ToJson() ?? [];
        return WithExtension(fields, extension);
    }

    /// <summary>copy-data: bytes copied on the server from one open file to another (they never pass the proxy).</summary>
    public static JsonObject Copy(string? path, ulong offset, ulong length, string? destination, ulong destinationOffset) => new()
    {
        ["operation"] = "copy",
        ["path"] = path,
        ["offset"] = offset,
        ["length"] = length,
        ["destination"] = destination,
        ["destination_offset"] = destinationOffset,
        ["extension"] = "copy-data",
    };

    /// <summary>An extended request the decoder does not know: what it did cannot be said, only that it was asked.</summary>
    public static JsonObject Extension(string name) => new() { ["operation"] = "extension", ["extension"] = name };

    public static JsonObject WithAttributes(JsonObject fields, SftpAttributes attributes)
    {
        if (attributes.ToJson() is { } set)
        {
            fields["attributes"] = set;
        }

        return fields;
    }

    /// <summary>The server's answer: <c>status</c> (<c>ok</c>, <c>no-such-file</c> …) and its <c>message</c> on failure.</summary>
    public static JsonObject Answered(JsonObject fields, uint code, string message)
    {
        fields["status"] = SftpStatus.Name(code);
        if (code != SftpStatus.Ok && message.Length > 0)
        {
            fields["message"] = message;
        }

        return fields;
    }

    /// <summary>
    /// The end of a handle: for a file, what passed through it (<c>bytes_read</c>, <c>bytes_written</c>, <c>sha256</c>
    /// or why not); for a directory, the <c>listing</c> with its <c>entries</c>. <paramref name="code"/> is null when the
    /// channel closed with the handle open (<c>unfinished</c>).
    /// </summary>
    public static JsonObject Closed(SftpOpenHandle handle, uint? code, string message)
    {
        var fields = new JsonObject
        {
            ["operation"] = handle.IsDirectory ? "listing" : "close",
            ["path"] = handle.Path,
            ["handle"] = Convert.ToHexStringLower(handle.Handle),
        };
        if (handle.IsDirectory)
        {
            fields["entries"] = handle.Entries;
        }
        else
        {
            fields["flags"] = Flags(handle.Flags);
            fields["bytes_read"] = handle.BytesRead;
            fields["bytes_written"] = handle.BytesWritten;
            var (applies, sha256, unavailable) = handle.Content(unfinished: code is null);
            if (applies)
            {
                fields["sha256"] = sha256;
                if (unavailable is not null)
                {
                    fields["sha256_unavailable"] = unavailable;
                }
            }
        }

        if (code is null)
        {
            fields["unfinished"] = true;
        }
        else if (handle.ListingFailure is { } failure)
        {
            fields["status"] = failure.Status;
            fields["message"] = failure.Message;
        }
        else
        {
            Answered(fields, code.Value, message);
        }

        return fields;
    }

    /// <summary>A change whose answer never came: the channel closed first, so whether it happened is unknown.</summary>
    public static JsonObject Unanswered(JsonObject fields)
    {
        fields["unanswered"] = true;
        return fields;
    }

    public static JsonObject Stopped(bool fromClient, string reason) => new()
    {
        ["operation"] = "decoding-stopped",
        ["from"] = fromClient ? "client" : "server",
        ["reason"] = reason,
    };

    private static JsonArray Flags(SftpOpenFlags flags) => [.. flags.ToNames().Select(name => JsonValue.Create(name))];

    private static JsonObject WithExtension(JsonObject fields, string? extension)
    {
        if (extension is not null)
        {
            fields["extension"] = extension;
        }

        return fields;
    }
}
