using HoopProxy.Postgres.Policy;

namespace HoopProxy.Postgres.Masking.Rules;

/// <summary>
/// One entry of the <c>Masking</c> list: for whom (<see cref="Match"/>: targets, users, groups), which values (whole
/// values of <see cref="Columns"/>, and/or what <see cref="Detectors"/> find in any text), and how (<see cref="Operator"/>).
/// </summary>
public sealed record MaskingRule
{
    public required string Name { get; init; }

    /// <summary>Only its subject fields are used; an empty match applies to every session.</summary>
    public PolicyMatch Match { get; init; } = new();

    /// <summary>Source columns as <c>schema.table.column</c> in the catalog's spelling; their whole value is masked.</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>What the rule looks for inside text values; null for a columns-only rule.</summary>
    public ValueMasker? Detectors { get; init; }

    public required MaskOperator Operator { get; init; }
}
