using HoopProxy.Postgres.Masking.Catalog;
using HoopProxy.Postgres.Masking.Wire;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>Which masking applies to which rows: descriptions, portals, and naming columns through the catalog.</summary>
internal sealed partial class ResultMasker
{
    private static bool[] FieldFormats(IReadOnlyList<FieldDescription> fields) => fields.Select(f => f.FormatCode == 1).ToArray();

    /// <summary>
    /// The masking of rows with these fields. False when the relay must wait for the catalog first (the message is
    /// held and seen again). <paramref name="refusal"/> says why the rows cannot be masked safely.
    /// </summary>
    /// <param name="mayWait">False where the relay cannot hold the message: uncached sources are then a refusal.</param>
    private bool TryPlan(IReadOnlyList<FieldDescription> fields, bool[] binary, out RowsPlan? rows, out string? refusal, bool mayWait = true)
    {
        rows = null;
        refusal = null;
        if (_rules.HasColumnRules && !SourcesKnown(fields, mayWait, out refusal))
        {
            return refusal is not null;
        }

        var columns = new ResultColumn[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            var source = ColumnSource.None;
            var origin = new ColumnOrigin(field.TableOid, field.ColumnAttributeNumber);
            if (_rules.HasColumnRules && !origin.IsExpression)
            {
                _catalog!.TryGetSource(origin, out source);
            }

            var rule = _rules.ColumnRuleFor(source);
            var label = rule?.Column ?? (source.Names.Count > 0 ? source.Names[^1] : field.Name);
            columns[i] = new ResultColumn(label, ColumnTypes.KindOf(field.TypeOid), rule);
        }

        rows = new RowsPlan(new ResultMaskPlan(columns, _rules.DetectorRules), binary);
        return true;
    }

    /// <summary>
    /// True when every column's source is cached. Otherwise starts (or finishes) the lookup: false with no refusal
    /// means "hold the message until it is done"; false with a refusal means it failed.
    /// </summary>
    private bool SourcesKnown(IReadOnlyList<FieldDescription> fields, bool mayWait, out string? refusal)
    {
        refusal = null;
        if (_catalog is null)
        {
            refusal = "masking cannot name the columns of this result: no column catalog for this target";
            return false;
        }

        List<ColumnOrigin>? missing = null;
        foreach (var field in fields)
        {
            var origin = new ColumnOrigin(field.TableOid, field.ColumnAttributeNumber);
            if (!origin.IsExpression && !_catalog.TryGetSource(origin, out _))
            {
                (missing ??= []).Add(origin);
            }
        }

        if (missing is null)
        {
            if (_resolving is { IsCompleted: true })
            {
                _resolving = null;
            }

            return true;
        }

        if (!mayWait)
        {
            refusal = "masking cannot name the columns of this result without looking them up, and its first row is too large to hold meanwhile";
            return false;
        }

        if (_resolving is { IsCompleted: true } finished)
        {
            _resolving = null;
            // A lookup that succeeded and still leaves a column unnamed (it expired meanwhile) is not trusted either.
            refusal = finished.Exception is { } failure
                ? $"masking cannot name the columns of this result: {failure.InnerException?.Message ?? failure.Message}"
                : "masking cannot name the columns of this result: the catalog did not answer for all of them";
            return false;
        }

        _resolving ??= _catalog.ResolveAsync(missing, CancellationToken.None);
        _serverEdits.Hold(_resolving);
        return false;
    }

    /// <summary>The rows of an Execute: the portal's own description, or its statement's with the Bind's formats.</summary>
    private bool TryPortalRows(string portalName, out RowsPlan? rows, out string? refusal, bool mayWait = true)
    {
        rows = null;
        if (!_portals.TryGetValue(portalName, out var portal))
        {
            refusal = "masking has not seen this portal bound, so it cannot tell which columns its rows have; bind it through the proxy";
            return true;
        }

        if (portal.Fields is { } described)
        {
            return TryPlan(described, FieldFormats(described), out rows, out refusal, mayWait);
        }

        if (_statements.TryGetValue(portal.StatementName, out var statement) && statement.Fields is { } fields)
        {
            return TryPlan(fields, RowsPlan.FormatsFromBind(portal.ResultFormats, fields.Count), out rows, out refusal, mayWait);
        }

        refusal = "masking needs the description of this result; describe the statement or the portal before executing it";
        return true;
    }
}
