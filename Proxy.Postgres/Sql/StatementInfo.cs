namespace HoopProxy.Postgres.Sql;

/// <summary>What one statement of a query string is and does, as far as PostgreSQL's grammar shows it.</summary>
public sealed record StatementInfo
{
    /// <summary>This statement's own slice of the input (from libpg_query's stmt_location/stmt_len), trimmed.</summary>
    public required string Text { get; init; }

    /// <summary>pgaudit's class of the statement itself.</summary>
    public required StatementClass Class { get; init; }

    /// <summary>The command tag PostgreSQL's <c>CreateCommandTag</c> gives the raw statement ("DROP TABLE", "SELECT", …); the node name when <see cref="Unrecognised"/>.</summary>
    public required string CommandTag { get; init; }

    /// <summary>
    /// Every command the statement performs, its own tag first: nested data-modifying CTEs, MERGE actions,
    /// ON CONFLICT DO UPDATE, the statement run by EXPLAIN ANALYZE, PREPARE and COPY (query), rule actions and the
    /// statements of DO blocks and function bodies. Plain EXPLAIN adds nothing for the statement it explains.
    /// </summary>
    public required IReadOnlyList<string> EffectiveCommands { get; init; }

    /// <summary>The classes of <see cref="EffectiveCommands"/>, <see cref="Class"/> first, without repeats.</summary>
    public required IReadOnlyList<StatementClass> EffectiveClasses { get; init; }

    /// <summary>Relations read, "schema.name" exactly as stored (unquoted names lower-cased); unqualified names are given schema <c>public</c>.</summary>
    public required IReadOnlyList<string> RelationsRead { get; init; }

    /// <summary>Relations whose rows or definition the statement changes or locks ("schema.*" for DROP SCHEMA); same naming as <see cref="RelationsRead"/>.</summary>
    public required IReadOnlyList<string> RelationsWritten { get; init; }

    /// <summary>True when some relation was written without a schema, so its real schema depends on search_path.</summary>
    public required bool HasUnqualifiedRelations { get; init; }

    /// <summary>Functions called, as written (schema-qualified only when written so), lower-cased unless quoted.</summary>
    public required IReadOnlyList<string> Functions { get; init; }

    /// <summary>True when the statement can run SQL that is not in its text (PL/pgSQL EXECUTE, dblink, query_to_xml, non-SQL languages, …).</summary>
    public required bool HasDynamicSql { get; init; }

    /// <summary>True when the statement reads or writes outside the database (server files, programs, other servers).</summary>
    public required bool ReachesOutside { get; init; }

    /// <summary>For PREPARE: the name it defines; for EXECUTE: the prepared statement it runs.</summary>
    public required string? PreparedName { get; init; }

    /// <summary>True for EXECUTE: what it runs is the prepared statement named <see cref="PreparedName"/>, not this text.</summary>
    public required bool IsExecute { get; init; }

    /// <summary>Changes of <c>standard_conforming_strings</c> and <c>client_encoding</c> (and changes of settings it cannot name).</summary>
    public required IReadOnlyList<SettingChange> Settings { get; init; }

    /// <summary>True when some statement node (here or nested) is unknown to the classifier: callers must fail closed.</summary>
    public required bool Unrecognised { get; init; }
}
