namespace HoopProxy.Postgres.Sql;

/// <summary>
/// The ObjectType part of PostgreSQL 15's DROP and ALTER command tags (utility.c: the DropStmt switch in
/// CreateCommandTag, and AlterObjectTypeCommandTag). A type PostgreSQL has no tag for gives "???" (CMDTAG_UNKNOWN).
/// </summary>
internal static class ObjectTypeTags
{
    public const string Unknown = "???";

    private static readonly Dictionary<string, string> Nouns = new(StringComparer.Ordinal)
    {
        ["OBJECT_ACCESS_METHOD"] = "ACCESS METHOD",
        ["OBJECT_AGGREGATE"] = "AGGREGATE",
        ["OBJECT_CAST"] = "CAST",
        ["OBJECT_COLLATION"] = "COLLATION",
        ["OBJECT_CONVERSION"] = "CONVERSION",
        ["OBJECT_DATABASE"] = "DATABASE",
        ["OBJECT_DOMAIN"] = "DOMAIN",
        ["OBJECT_EVENT_TRIGGER"] = "EVENT TRIGGER",
        ["OBJECT_EXTENSION"] = "EXTENSION",
        ["OBJECT_FDW"] = "FOREIGN DATA WRAPPER",
        ["OBJECT_FOREIGN_SERVER"] = "SERVER",
        ["OBJECT_FOREIGN_TABLE"] = "FOREIGN TABLE",
        ["OBJECT_FUNCTION"] = "FUNCTION",
        ["OBJECT_INDEX"] = "INDEX",
        ["OBJECT_LANGUAGE"] = "LANGUAGE",
        ["OBJECT_LARGEOBJECT"] = "LARGE OBJECT",
        ["OBJECT_MATVIEW"] = "MATERIALIZED VIEW",
        ["OBJECT_OPCLASS"] = "OPERATOR CLASS",
        ["OBJECT_OPERATOR"] = "OPERATOR",
        ["OBJECT_OPFAMILY"] = "OPERATOR FAMILY",
        ["OBJECT_POLICY"] = "POLICY",
        ["OBJECT_PROCEDURE"] = "PROCEDURE",
        ["OBJECT_PUBLICATION"] = "PUBLICATION",
        ["OBJECT_ROLE"] = "ROLE",
        ["OBJECT_ROUTINE"] = "ROUTINE",
        ["OBJECT_RULE"] = "RULE",
        ["OBJECT_SCHEMA"] = "SCHEMA",
        ["OBJECT_SEQUENCE"] = "SEQUENCE",
        ["OBJECT_STATISTIC_EXT"] = "STATISTICS",
        ["OBJECT_SUBSCRIPTION"] = "SUBSCRIPTION",
        ["OBJECT_TABLE"] = "TABLE",
        ["OBJECT_TABLESPACE"] = "TABLESPACE",
        ["OBJECT_TRANSFORM"] = "TRANSFORM",
        ["OBJECT_TRIGGER"] = "TRIGGER",
        ["OBJECT_TSCONFIGURATION"] = "TEXT SEARCH CONFIGURATION",
        ["OBJECT_TSDICTIONARY"] = "TEXT SEARCH DICTIONARY",
        ["OBJECT_TSPARSER"] = "TEXT SEARCH PARSER",
        ["OBJECT_TSTEMPLATE"] = "TEXT SEARCH TEMPLATE",
        ["OBJECT_TYPE"] = "TYPE",
        ["OBJECT_VIEW"] = "VIEW",
    };

    /// <summary>Types a DropStmt can remove (DATABASE, ROLE, TABLESPACE, SUBSCRIPTION, USER MAPPING have their own nodes).</summary>
    private static readonly HashSet<string> Droppable = new(StringComparer.Ordinal)
    {
        "OBJECT_TABLE", "OBJECT_SEQUENCE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_INDEX", "OBJECT_TYPE", "OBJECT_DOMAIN",
        "OBJECT_COLLATION", "OBJECT_CONVERSION", "OBJECT_SCHEMA", "OBJECT_TSPARSER", "OBJECT_TSDICTIONARY", "OBJECT_TSTEMPLATE",
        "OBJECT_TSCONFIGURATION", "OBJECT_FOREIGN_TABLE", "OBJECT_EXTENSION", "OBJECT_FUNCTION", "OBJECT_PROCEDURE",
        "OBJECT_ROUTINE", "OBJECT_AGGREGATE", "OBJECT_OPERATOR", "OBJECT_LANGUAGE", "OBJECT_CAST", "OBJECT_TRIGGER",
        "OBJECT_EVENT_TRIGGER", "OBJECT_RULE", "OBJECT_FDW", "OBJECT_FOREIGN_SERVER", "OBJECT_OPCLASS", "OBJECT_OPFAMILY",
        "OBJECT_POLICY", "OBJECT_TRANSFORM", "OBJECT_ACCESS_METHOD", "OBJECT_PUBLICATION", "OBJECT_STATISTIC_EXT",
    };

    /// <summary>Sub-objects whose ALTER is tagged with their owner (AlterObjectTypeCommandTag).</summary>
    private static readonly Dictionary<string, string> AlterOwners = new(StringComparer.Ordinal)
    {
        ["OBJECT_ATTRIBUTE"] = "OBJECT_TYPE",
        ["OBJECT_COLUMN"] = "OBJECT_TABLE",
        ["OBJECT_TABCONSTRAINT"] = "OBJECT_TABLE",
        ["OBJECT_DOMCONSTRAINT"] = "OBJECT_DOMAIN",
    };

    /// <summary>Types AlterObjectTypeCommandTag has no case for.</summary>
    private static readonly HashSet<string> NotAlterable = new(StringComparer.Ordinal) { "OBJECT_ACCESS_METHOD", "OBJECT_TRANSFORM" };

    public static string Drop(string? objectType) =>
        objectType is not null && Droppable.Contains(objectType) && Nouns.TryGetValue(objectType, out var noun) ? "DROP " + noun : Unknown;

    public static string Alter(string? objectType)
    {
        if (objectType is null)
        {
            return Unknown;
        }

        var owner = AlterOwners.GetValueOrDefault(objectType, objectType);
        return !NotAlterable.Contains(owner) && Nouns.TryGetValue(owner, out var noun) ? "ALTER " + noun : Unknown;
    }

    /// <summary>Object types whose names in a DropStmt are relations (the statement changes them).</summary>
    public static bool NamesRelation(string? objectType) => objectType is "OBJECT_TABLE" or "OBJECT_SEQUENCE" or "OBJECT_VIEW"
        or "OBJECT_MATVIEW" or "OBJECT_INDEX" or "OBJECT_FOREIGN_TABLE";

    /// <summary>Object types named "…, table, name" in a DropStmt (DROP TRIGGER t ON table): the table is changed.</summary>
    public static bool NamesObjectOnRelation(string? objectType) => objectType is "OBJECT_TRIGGER" or "OBJECT_RULE" or "OBJECT_POLICY";
}
