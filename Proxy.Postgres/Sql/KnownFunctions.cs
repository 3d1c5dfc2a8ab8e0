namespace HoopProxy.Postgres.Sql;

/// <summary>
/// Functions whose effect the parse tree cannot show, matched on the last part of the name (so <c>pg_catalog.x</c>,
/// <c>public.dblink</c> or an extension installed in any schema all match; a user function that happens to share a
/// name is flagged too, which fails closed). The lists are documented in docs/sql-classification.md.
/// </summary>
internal static class KnownFunctions
{
    /// <summary>Functions that run SQL handed to them as text (or read a relation named by text), out of reach of static analysis.</summary>
    private static readonly HashSet<string> RunSqlText = new(StringComparer.Ordinal)
    {
        // dblink runs its query on a server, which may be this one.
        "dblink", "dblink_exec", "dblink_open", "dblink_fetch", "dblink_send_query", "dblink_get_result",
        // SQL/XML: the first argument is a query, or a relation / schema / the database read in full.
        "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
        "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema",
        "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema",
        "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema",
        // Text search functions that take a SELECT as text.
        "ts_stat", "ts_rewrite",
        // tablefunc runs its source SQL text; connectby reads a table named by text.
        "crosstab", "crosstab2", "crosstab3", "crosstab4", "connectby",
        // Background execution of SQL text (pg_background).
        "pg_background_launch",
    };

    /// <summary>pg_cron's functions store SQL text to run later; their names are too common to match in any schema, so only in <c>cron</c> or unqualified.</summary>
    private static readonly HashSet<string> CronFunctions = new(StringComparer.Ordinal) { "schedule", "schedule_in_database", "alter_job" };

    /// <summary>Functions that touch the server's file system, run programs' output through, or talk to other servers.</summary>
    private static readonly HashSet<string> Outside = new(StringComparer.Ordinal)
    {
        "pg_read_file", "pg_read_binary_file", "pg_stat_file", "pg_ls_dir",
        "pg_ls_logdir", "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir",
        "pg_ls_logicalsnapdir", "pg_ls_logicalmapdir", "pg_ls_replslotdir",
        "lo_import", "lo_export",
        // adminpack
        "pg_file_write", "pg_file_rename", "pg_file_unlink", "pg_file_sync", "pg_logdir_ls",
        // dblink opens connections to other servers
        "dblink", "dblink_exec", "dblink_open", "dblink_fetch", "dblink_send_query", "dblink_get_result",
        "dblink_connect", "dblink_connect_u",
    };

    /// <summary>Settings the session refuses to see changed (the others are not reported).</summary>
    private static readonly HashSet<string> WatchedSettings = new(StringComparer.Ordinal) { "standard_conforming_strings", "client_encoding" };

    public static bool RunsSqlText(string name) =>
        RunSqlText.Contains(LastPart(name)) || (CronFunctions.Contains(LastPart(name)) && (name == LastPart(name) || name.StartsWith("cron.", StringComparison.Ordinal)));

    public static bool ReachesOutside(string name) => Outside.Contains(LastPart(name));

    public static bool IsSetConfig(string name) => LastPart(name) == "set_config";

    /// <summary>nextval and setval change a sequence; currval reads one.</summary>
    public static bool? SequenceWrite(string name) => LastPart(name) switch
    {
        "nextval" or "setval" => true,
        "currval" => false,
        _ => null,
    };

    public static bool IsWatchedSetting(string name) => WatchedSettings.Contains(name.ToLowerInvariant());

    public static IReadOnlyCollection<string> Watched => WatchedSettings;

    private static string LastPart(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot < 0 ? name : name[(dot + 1)..];
    }
}
