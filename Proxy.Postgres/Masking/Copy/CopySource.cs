namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>What a <c>COPY … TO STDOUT</c> reads: a relation (<see cref="CopyRelationSource"/>) or a query (<see cref="CopyQuerySource"/>).</summary>
public abstract record CopySource;

/// <summary>
/// <c>COPY schema.table (columns) TO STDOUT</c>. Names are as the parser produced them (unquoted ones lower-cased,
/// quoted ones verbatim). <see cref="Schema"/> is null when the statement did not name one (search_path decides);
/// <see cref="Columns"/> is null when no column list was given (all columns, in table order).
/// </summary>
public sealed record CopyRelationSource(string? Schema, string Name, IReadOnlyList<string>? Columns) : CopySource;

/// <summary>
/// <c>COPY (query) TO STDOUT</c>: <see cref="Text"/> is the source text between the parentheses exactly as the client
/// wrote it (surrounding white space and comments included), ready to be described on the catalog connection.
/// </summary>
public sealed record CopyQuerySource(string Text) : CopySource;
