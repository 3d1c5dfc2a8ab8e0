namespace HoopProxy.Postgres.Sql;

/// <summary>
/// pgaudit's statement classes (<c>pgaudit.log</c>), assigned the way pgaudit assigns them: from PostgreSQL's
/// <c>GetCommandLogLevel</c> (mod → <see cref="Write"/>, ddl → <see cref="Ddl"/> or <see cref="Role"/>, all →
/// <see cref="Read"/>, <see cref="Function"/> or <see cref="Misc"/>). See docs/sql-classification.md.
/// </summary>
public enum StatementClass
{
    /// <summary>SELECT, COPY … TO, DECLARE CURSOR, PREPARE of a SELECT.</summary>
    Read,

    /// <summary>INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY … FROM.</summary>
    Write,

    /// <summary>Function and procedure calls (DO, CALL).</summary>
    Function,

    /// <summary>GRANT, REVOKE, CREATE/ALTER/DROP ROLE, ALTER DEFAULT PRIVILEGES.</summary>
    Role,

    /// <summary>All other DDL, including SELECT INTO and CREATE TABLE AS.</summary>
    Ddl,

    /// <summary>Everything else: SET, SHOW, transaction control, VACUUM, FETCH, EXECUTE, plain EXPLAIN, … and unrecognised statements.</summary>
    Misc,
}
