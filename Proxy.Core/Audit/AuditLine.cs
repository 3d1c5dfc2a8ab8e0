using System.Globalization;
using System.Text.Json;

namespace HoopProxy.Core.Audit;

/// <summary>
/// A line read back: its chain members, whether its stated hash matches its bytes, and its JSON for the rest. Parsing
/// only reads; whether the line is where it belongs is the verifier's question.
/// </summary>
public sealed class AuditLine
{
    private AuditLine(AuditRawLine raw, byte[] covered, string statedHash, long seq, string prev, string type, JsonElement root)
    {
        Raw = raw;
        Covered = covered;
        StatedHash = statedHash;
        ComputedHash = AuditLineFormat.Hash(covered);
        Seq = seq;
        Prev = prev;
        Type = type;
        Root = root;
    }

    public AuditRawLine Raw { get; }

    public long Number => Raw.Number;

    /// <summary>The bytes the hash covers: the line without its <c>hash</c> member.</summary>
    public byte[] Covered { get; }

    public string StatedHash { get; }

    public string ComputedHash { get; }

    /// <summary>False when the line was changed after it was written (or its hash was).</summary>
    public bool HashMatches => StatedHash == ComputedHash;

    public long Seq { get; }

    public string Prev { get; }

    /// <summary>An event type's name (<see cref="AuditEventTypes"/>) or <see cref="AuditEventTypes.Checkpoint"/>.</summary>
    public string Type { get; }

    public bool IsCheckpoint => Type == AuditEventTypes.Checkpoint;

    public JsonElement Root { get; }

    /// <summary>The line's text as stored.</summary>
    public string Text => System.Text.Encoding.UTF8.GetString(Raw.Bytes);

    /// <summary>A string field by path (<c>user.name</c>); null when absent, null or not a string.</summary>
    public string? String(string path) =>
        Find(path) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public DateTimeOffset? Time =>
        DateTimeOffset.TryParse(String(AuditFields.Time), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    /// <summary>The element at a dotted path, or null when a step is missing (a JSON null is returned as an element).</summary>
    public JsonElement? Find(string path)
    {
        var current = Root;
        foreach (var step in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(step, out current))
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>A whole number member of <paramref name="element"/>; null when absent, null or anything else.</summary>
    public static long? WholeNumber(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    /// <summary>Reads the chain members; false with the reason when the line is not one of ours at all.</summary>
    public static bool TryParse(AuditRawLine raw, out AuditLine line, out string problem)
    {
        line = null!;
        if (raw.TooLong)
        {
            problem = $"longer than {AuditLineFormat.MaxLineBytes} bytes";
            return false;
        }

        if (!AuditLineFormat.TrySplitHash(raw.Bytes, out var covered, out var statedHash))
        {
            problem = "does not end with a \"hash\" member of 64 lowercase hex digits";
            return false;
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(raw.Bytes);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            problem = $"is not JSON: {e.Message}";
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object
            || WholeNumber(root, AuditFields.Seq) is not { } seq || seq < 1
            || !root.TryGetProperty(AuditFields.Prev, out var prevElement) || prevElement.ValueKind != JsonValueKind.String
            || prevElement.GetString() is not { Length: AuditLineFormat.HashHexLength } prev
            || !root.TryGetProperty(AuditFields.Type, out var typeElement) || typeElement.ValueKind != JsonValueKind.String
            || typeElement.GetString() is not { } type)
        {
            problem = "lacks a \"seq\" (from 1), a \"prev\" hash or a \"type\"";
            return false;
        }

        line = new AuditLine(raw, covered, statedHash, seq, prev, type, root);
        problem = "";
        return true;
    }
}
