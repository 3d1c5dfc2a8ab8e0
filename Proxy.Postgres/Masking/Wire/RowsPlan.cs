namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>A result's masking together with the format each column's values arrive in (from RowDescription or Bind).</summary>
public sealed record RowsPlan(ResultMaskPlan Plan, bool[] Binary)
{
    public bool MasksAnything => Plan.MasksAnything;

    /// <summary>
    /// The formats of a Bind's result-format list for <paramref name="columns"/> columns: none means all text, one
    /// applies to all, otherwise one per column (PostgreSQL refuses any other count before a row is sent).
    /// </summary>
    public static bool[] FormatsFromBind(IReadOnlyList<short> resultFormats, int columns)
    {
        var binary = new bool[columns];
        for (var i = 0; i < columns; i++)
        {
            binary[i] = resultFormats.Count switch
            {
                0 => false,
                1 => resultFormats[0] == 1,
                _ => i < resultFormats.Count && resultFormats[i] == 1,
            };
        }

        return binary;
    }
}
