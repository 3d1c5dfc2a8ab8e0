using System.Globalization;

namespace HoopProxy.Postgres.Masking.Catalog;

/// <summary>
/// Names columns from the catalog and follows view columns to the columns they show, a level of views per round
/// trip: each round names the origins not named yet (one query) and reads the stored trees of the views among them
/// (one query), whose target lists give the next origins.
/// </summary>
internal static class ColumnSourceTracer
{
    /// <summary>Views over views deeper than this are not followed; a column that comes through more is refused.</summary>
    public const int MaxViewDepth = 8;

    /// <summary>The source of each of <paramref name="origins"/> (expression origins excluded by the caller); a dropped column gets <see cref="ColumnSource.None"/>.</summary>
    public static async Task<Dictionary<ColumnOrigin, ColumnSource>> TraceAsync(
        CatalogConnection connection, IReadOnlyCollection<ColumnOrigin> origins, CancellationToken cancellationToken)
    {
        var columns = new Dictionary<ColumnOrigin, NamedColumn?>();
        var viewTargets = new Dictionary<uint, IReadOnlyDictionary<short, ColumnOrigin>>();
        IReadOnlyCollection<ColumnOrigin> unnamed = origins;
        for (var round = 0; round <= MaxViewDepth && unnamed.Count > 0; round++)
        {
            await NameAsync(connection, unnamed, columns, cancellationToken);
            var views = unnamed
                .Select(origin => columns[origin])
                .Where(column => column is { IsView: true } && !viewTargets.ContainsKey(column.Origin.TableOid))
                .Select(column => column!.Origin.TableOid)
                .Distinct()
                .ToList();
            if (views.Count == 0 || round == MaxViewDepth)
            {
                break;
            }

            await ReadViewsAsync(connection, views, viewTargets, cancellationToken);
            unnamed = unnamed
                .Select(origin => BaseOf(origin, viewTargets))
                .Where(next => next is { IsExpression: false } && !columns.ContainsKey(next.Value))
                .Select(next => next!.Value)
                .Distinct()
                .ToList();
        }

        return origins.ToDictionary(origin => origin, origin => Chain(origin, columns, viewTargets));
    }

    /// <summary>Adds a <see cref="NamedColumn"/> for every origin in <paramref name="origins"/>; null for one that no longer exists.</summary>
    private static async Task NameAsync(CatalogConnection connection, IReadOnlyCollection<ColumnOrigin> origins,
        Dictionary<ColumnOrigin, NamedColumn?> columns, CancellationToken cancellationToken)
    {
        foreach (var origin in origins)
        {
            columns[origin] = null;
        }

        var named = new List<(ColumnOrigin Origin, string Column, string Name, bool IsView)>();
        foreach (var row in await connection.QueryAsync(CatalogQueries.ColumnNames(origins), cancellationToken))
        {
            var origin = new ColumnOrigin(ParseNumber<uint>(row[0]), ParseNumber<short>(row[1]));
            named.Add((origin, row[4] ?? "", $"{row[2]}.{row[3]}.{row[4]}", row[5] is "v" or "m"));
        }

        // A partition or inheritance child answers to its ancestors' column names too: a rule on the partitioned
        // table must also mask a SELECT from one partition.
        var tables = named.Where(c => !c.IsView).Select(c => c.Origin.TableOid).Distinct().ToList();
        var ancestors = new Dictionary<uint, List<string>>();
        if (tables.Count > 0)
        {
            foreach (var row in await connection.QueryAsync(CatalogQueries.Ancestors(tables), cancellationToken))
            {
                var child = ParseNumber<uint>(row[0]);
                if (!ancestors.TryGetValue(child, out var list))
                {
                    ancestors[child] = list = [];
                }

                list.Add($"{row[1]}.{row[2]}");
            }
        }

        foreach (var (origin, column, name, isView) in named)
        {
            var inherited = ancestors.TryGetValue(origin.TableOid, out var list) ? list.Select(a => $"{a}.{column}").ToArray() : [];
            columns[origin] = new NamedColumn(origin, name, isView, inherited);
        }
    }

    private static async Task ReadViewsAsync(CatalogConnection connection, IReadOnlyCollection<uint> views,
        Dictionary<uint, IReadOnlyDictionary<short, ColumnOrigin>> viewTargets, CancellationToken cancellationToken)
    {
        foreach (var view in views)
        {
            // A view dropped since it was named has no rule: its columns keep their own names only.
            viewTargets[view] = new Dictionary<short, ColumnOrigin>();
        }

        foreach (var row in await connection.QueryAsync(CatalogQueries.ViewDefinitions(views), cancellationToken))
        {
            var view = ParseNumber<uint>(row[0]);
            try
            {
                viewTargets[view] = NodeTreeTargetOrigins.Parse(row[1] ?? "");
            }
            catch (FormatException e)
            {
                // Without the tree a base-column rule could not match, so the answer would be wrong: fail instead.
                throw new ColumnCatalogException($"the definition of view {view} could not be read: {e.Message}", e);
            }
        }
    }

    private static ColumnOrigin? BaseOf(ColumnOrigin origin, Dictionary<uint, IReadOnlyDictionary<short, ColumnOrigin>> viewTargets) =>
        viewTargets.TryGetValue(origin.TableOid, out var targets) && targets.TryGetValue(origin.AttributeNumber, out var next) ? next : null;

    /// <summary>
    /// The origin's own name (and its ancestors'), then the column it shows if it is a view column, and so on. Views
    /// nested deeper than <see cref="MaxViewDepth"/> are refused rather than named in part: a rule on the base column
    /// would silently not match.
    /// </summary>
    private static ColumnSource Chain(ColumnOrigin origin, Dictionary<ColumnOrigin, NamedColumn?> columns,
        Dictionary<uint, IReadOnlyDictionary<short, ColumnOrigin>> viewTargets)
    {
        var names = new List<string>();
        var seen = new HashSet<ColumnOrigin>();
        ColumnOrigin? current = origin;
        var depth = 0;
        while (current is { IsExpression: false } at && columns.TryGetValue(at, out var column) && column is not null && seen.Add(at))
        {
            if (depth++ > MaxViewDepth || (column.IsView && !viewTargets.ContainsKey(at.TableOid)))
            {
                throw new ColumnCatalogException($"a column comes through views nested deeper than {MaxViewDepth}; masking does not follow them");
            }

            names.Add(column.Name);
            names.AddRange(column.Inherited);
            current = column.IsView ? BaseOf(at, viewTargets) : null;
        }

        return names.Count == 0 ? ColumnSource.None : new ColumnSource(names);
    }

    private static T ParseNumber<T>(string? text)
        where T : System.Numerics.IBinaryInteger<T> =>
        T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new CatalogConnectionBrokenException("the catalog answered with a malformed number");

    /// <param name="Inherited">The same column in the relation's ancestors (partitioned tables, inheritance parents).</param>
    private sealed record NamedColumn(ColumnOrigin Origin, string Name, bool IsView, IReadOnlyList<string> Inherited);
}
