using System.Globalization;
using System.Text;

namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// The catalog queries, built only from numbers the proxy holds (OIDs and attribute numbers from RowDescription or a
/// stored view tree), never from client text.
/// </summary>
/// <remarks>
/// Every function, type and operator is qualified with pg_catalog: the connection logs in as the target's account,
/// whose search_path a client of the proxy could change (ALTER ROLE … SET search_path) to put an "=" of its own first.
/// </remarks>
internal static class CatalogQueries
{
    /// <summary>Columns: relation OID, attribute number, schema, relation, column, relkind. A dropped column or relation has no row.</summary>
    public static string ColumnNames(IReadOnlyCollection<ColumnOrigin> origins) =>
        $"""
        SELECT o.relid, o.attnum, n.nspname, c.relname, a.attname, c.relkind
        FROM ROWS FROM (pg_catalog.unnest('{OidArray(origins.Select(o => o.TableOid))}'::pg_catalog.oid[]),
                        pg_catalog.unnest('{Int16Array(origins.Select(o => o.AttributeNumber))}'::pg_catalog.int2[])) AS o(relid, attnum)
        JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) o.relid AND a.attnum OPERATOR(pg_catalog.=) o.attnum
        JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) o.relid
        JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
        WHERE NOT a.attisdropped
        """;

    /// <summary>Columns: view OID, its stored query tree as text. A view (or materialized view) is its _RETURN rule.</summary>
    public static string ViewDefinitions(IEnumerable<uint> viewOids) =>
        $"""
        SELECT r.ev_class, r.ev_action::pg_catalog.text
        FROM pg_catalog.pg_rewrite r
        WHERE r.ev_class OPERATOR(pg_catalog.=) ANY ('{OidArray(viewOids)}'::pg_catalog.oid[])
          AND r.rulename OPERATOR(pg_catalog.=) '_RETURN'::pg_catalog.name
        """;

    /// <summary>
    /// Columns: relation OID, schema and name of one of its ancestors (a partitioned table above a partition, a parent
    /// table above an inheritance child), at any depth. A child's columns have the names of its ancestors' columns.
    /// </summary>
    public static string Ancestors(IEnumerable<uint> relationOids) =>
        $"""
        WITH RECURSIVE up(child, parent) AS (
            SELECT i.inhrelid, i.inhparent FROM pg_catalog.pg_inherits i
            WHERE i.inhrelid OPERATOR(pg_catalog.=) ANY ('{OidArray(relationOids)}'::pg_catalog.oid[])
          UNION
            SELECT up.child, i.inhparent FROM up JOIN pg_catalog.pg_inherits i ON i.inhrelid OPERATOR(pg_catalog.=) up.parent)
        SELECT up.child, n.nspname, c.relname
        FROM up JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) up.parent
        JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
        """;

    private static string OidArray(IEnumerable<uint> values) => ArrayLiteral(values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    private static string Int16Array(IEnumerable<short> values) => ArrayLiteral(values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    private static string ArrayLiteral(IEnumerable<string> numbers) => new StringBuilder("{").AppendJoin(',', numbers).Append('}').ToString();
}
