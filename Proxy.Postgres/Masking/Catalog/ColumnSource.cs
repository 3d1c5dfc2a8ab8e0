namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// The names a result column answers to, as <c>schema.table.column</c> with the catalog's own spelling: the
/// relation's column itself and, when the relation is a view, the base column it shows (through nested views too).
/// A column rule matches any of them. Empty when the column has no named source (a view column computed by an expression).
/// </summary>
public sealed record ColumnSource(IReadOnlyList<string> Names)
{
    public static readonly ColumnSource None = new([]);
}
