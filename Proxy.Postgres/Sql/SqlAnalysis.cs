namespace HoopProxy.Postgres.Sql;

/// <summary>The analysis of one query string.</summary>
/// <param name="Parsed">False when the text (or a DO/function body inside it) is not valid PostgreSQL 15 SQL: fail closed.</param>
/// <param name="Error">libpg_query's message with its position when <paramref name="Parsed"/> is false.</param>
/// <param name="Statements">One entry per statement of the text, in order; empty for an empty text or when not parsed.</param>
public sealed record SqlAnalysis(bool Parsed, string? Error, IReadOnlyList<StatementInfo> Statements)
{
    internal static SqlAnalysis Failed(string error) => new(false, error, []);
}
