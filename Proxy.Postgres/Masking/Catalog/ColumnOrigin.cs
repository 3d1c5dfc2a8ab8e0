namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>Where a result column comes from, as RowDescription reports it: a relation's OID and the column's attribute number.</summary>
public readonly record struct ColumnOrigin(uint TableOid, short AttributeNumber)
{
    /// <summary>0/0 is what the server sends for an expression; such a column has no source and is left to the detectors.</summary>
    public bool IsExpression => TableOid == 0 || AttributeNumber <= 0;
}
