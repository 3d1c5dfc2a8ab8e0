using System.Text.Json;

namespace HoopProxy.Postgres.Sql;

/// <summary>
/// Reading libpg_query's JSON: a node of type T is <c>{"T": {fields}}</c> where the field is a generic Node, and just
/// <c>{fields}</c> where the field has a fixed type (e.g. DeleteStmt.relation is an inline RangeVar). Fields at their
/// default value (false, 0, empty) are omitted.
/// </summary>
internal static class JsonTree
{
    /// <summary>True for <c>{"TypeName": {…}}</c>: one property, named in PascalCase (field names are camelCase or snake_case).</summary>
    public static bool TryGetTypedNode(JsonElement element, out string typeName, out JsonElement body)
    {
        typeName = "";
        body = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        using var properties = element.EnumerateObject();
        if (!properties.MoveNext())
        {
            return false;
        }

        var first = properties.Current;
        if (properties.MoveNext() || first.Name.Length == 0 || !char.IsUpper(first.Name[0]) || first.Value.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        typeName = first.Name;
        body = first.Value;
        return true;
    }

    /// <summary>An inline RangeVar: the only raw parse node with both relname and relpersistence.</summary>
    public static bool IsInlineRangeVar(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("relname", out _) && element.TryGetProperty("relpersistence", out _);

    public static string? String(JsonElement body, string field) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static bool Bool(JsonElement body, string field) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.True;

    public static JsonElement? Field(JsonElement body, string field) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(field, out var value) ? value : null;

    /// <summary>The elements of an array field, or nothing when the field is absent.</summary>
    public static IEnumerable<JsonElement> Items(JsonElement body, string field) =>
        Field(body, field) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    /// <summary>The svals of a list of String nodes (a qualified name: ["schema", "name"]), or null if any item is not a String.</summary>
    public static IReadOnlyList<string>? NameList(JsonElement list)
    {
        if (list.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var parts = new List<string>();
        foreach (var item in list.EnumerateArray())
        {
            if (!TryGetTypedNode(item, out var type, out var body) || type != "String")
            {
                return null;
            }

            parts.Add(String(body, "sval") ?? "");
        }

        return parts;
    }

    /// <summary>The value of an A_Const as text (sval, ival, fval, boolval), or null for NULL and for anything that is not an A_Const.</summary>
    public static string? ConstantText(JsonElement node)
    {
        if (!TryGetTypedNode(node, out var type, out var body) || type != "A_Const" || Bool(body, "isnull"))
        {
            return null;
        }

        if (Field(body, "sval") is { } sval)
        {
            return String(sval, "sval") ?? "";
        }

        if (Field(body, "ival") is { } ival)
        {
            return Field(ival, "ival") is { ValueKind: JsonValueKind.Number } number ? number.GetRawText() : "0";
        }

        if (Field(body, "fval") is { } fval)
        {
            return String(fval, "fval") ?? "0";
        }

        if (Field(body, "boolval") is { } boolval)
        {
            return Bool(boolval, "boolval") ? "true" : "false";
        }

        if (Field(body, "bsval") is { } bsval)
        {
            return String(bsval, "bsval") ?? "";
        }

        return null;
    }
}
