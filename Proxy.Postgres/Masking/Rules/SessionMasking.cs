using HoopProxy.Postgres.Masking.Catalog;

namespace HoopProxy.Postgres.Masking.Rules;

/// <summary>A column rule as it applies to one source column: the operator, and the label it writes and counts under.</summary>
public sealed record ColumnMask(string Column, string Rule, MaskOperator Operator);

/// <summary>A detector rule as it applies to every text value of a session's results.</summary>
public sealed record DetectorMask(string Rule, ValueMasker Masker);

/// <summary>
/// The masking rules that apply to one session (one identity on one target), arranged for the relay: column rules
/// by source column name, detector rules in configuration order. When two column rules name the same column the
/// first wins (the value is already masked whole); every detector rule scans every text value, in order.
/// </summary>
public sealed class SessionMasking
{
    private readonly Dictionary<string, ColumnMask> _columns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, ColumnMask>> _byTable = new(StringComparer.Ordinal);

    public SessionMasking(IReadOnlyList<MaskingRule> rules)
    {
        var detectors = new List<DetectorMask>();
        foreach (var rule in rules)
        {
            foreach (var column in rule.Columns)
            {
                var mask = new ColumnMask(column, rule.Name, rule.Operator);
                if (_columns.TryAdd(column, mask))
                {
                    var split = column.LastIndexOf('.');
                    if (!_byTable.TryGetValue(column[..split], out var ofTable))
                    {
                        _byTable[column[..split]] = ofTable = new Dictionary<string, ColumnMask>(StringComparer.Ordinal);
                    }

                    ofTable[column[(split + 1)..]] = mask;
                }
            }

            if (rule.Detectors is { } masker)
            {
                detectors.Add(new DetectorMask(rule.Name, masker));
            }
        }

        DetectorRules = detectors;
    }

    public IReadOnlyList<DetectorMask> DetectorRules { get; }

    /// <summary>True when results must be matched to their source columns (which needs the catalog).</summary>
    public bool HasColumnRules => _columns.Count > 0;

    public bool HasDetectorRules => DetectorRules.Count > 0;

    /// <summary>The column rule for a result column, by any name its source answers to (the view's own, then the base table's).</summary>
    public ColumnMask? ColumnRuleFor(ColumnSource source)
    {
        foreach (var name in source.Names)
        {
            if (_columns.TryGetValue(name, out var mask))
            {
                return mask;
            }
        }

        return null;
    }

    /// <summary>The column rules on one table, by column name; null when none. For errors that name a table but not a result column.</summary>
    public IReadOnlyDictionary<string, ColumnMask>? ColumnsOf(string schema, string table) =>
        _byTable.GetValueOrDefault(schema + "." + table);
}
