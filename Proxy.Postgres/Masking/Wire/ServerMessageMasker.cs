using System.Text.RegularExpressions;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>
/// Masks what leaves the server outside result rows: the text fields of errors and notices (a unique violation's
/// Detail shows the duplicate key; RAISE NOTICE shows whatever a function put in it) and notification payloads.
/// Detector rules scan every human-readable field; column rules apply where an error names its table and shows a
/// key or a failing row of it.
/// </summary>
public sealed partial class ServerMessageMasker
{
    /// <summary>Fields carrying text that may quote data. Severity, SQLSTATE, file, line, routine and position never do.</summary>
    private static readonly byte[] TextFields = "MDHWqstcdn"u8.ToArray();

    private readonly SessionMasking _rules;

    public ServerMessageMasker(SessionMasking rules)
    {
        _rules = rules;
    }

    /// <summary>The error or notice with its fields masked; null when nothing in it needed masking.</summary>
    public ErrorResponse? Mask(ErrorResponse message, MaskCounts counts)
    {
        var fields = message.Fields.ToArray();
        var changed = false;
        if (message.Get((byte)'s') is { } schema && message.Get((byte)'t') is { } table)
        {
            for (var i = 0; i < fields.Length; i++)
            {
                if (fields[i].Type == ErrorResponse.DetailField && MaskTableDetail(fields[i].Value, schema, table, message.SqlState, counts) is { } detail)
                {
                    fields[i] = fields[i] with { Value = detail };
                    changed = true;
                }
            }
        }

        if (_rules.HasColumnRules && message.SqlState?.StartsWith("22", StringComparison.Ordinal) == true)
        {
            // Data exceptions quote the value they could not take ('invalid input syntax for type integer: "…"'),
            // which may come from a masked column: no rule can tell, so the quoted value is not shown.
            for (var i = 0; i < fields.Length; i++)
            {
                if (fields[i].Type is ErrorResponse.MessageField or ErrorResponse.DetailField && QuotedValue().IsMatch(fields[i].Value))
                {
                    fields[i] = fields[i] with { Value = QuotedValue().Replace(fields[i].Value, "\"[REDACTED]\"") };
                    counts.AddColumn("(a value quoted in an error)", 1);
                    changed = true;
                }
            }
        }

        for (var i = 0; i < fields.Length; i++)
        {
            if (Array.IndexOf(TextFields, fields[i].Type) >= 0 && MaskText(fields[i].Value, counts) is { } text)
            {
                fields[i] = fields[i] with { Value = text };
                changed = true;
            }
        }

        return changed ? new ErrorResponse(fields) : null;
    }

    /// <summary>Free text through every detector rule in order; null when nothing matched. A Null operator leaves an empty text.</summary>
    public string? MaskText(string text, MaskCounts counts)
    {
        string? masked = null;
        foreach (var rule in _rules.DetectorRules)
        {
            // Nothing is allocated unless a detector finds something (the usual case for a column name or a message).
            if (!rule.Masker.TryMask(masked ?? text, out var result))
            {
                continue;
            }

            foreach (var found in result.Counts)
            {
                counts.AddDetector(found.Detector, found.Count);
            }

            if (result.IsNull)
            {
                return "";
            }

            masked = result.Text;
        }

        return masked;
    }

    /// <summary>A binary value of unknown layout (a function's result): true when a detector finds something in it.</summary>
    public bool FindsAnything(ReadOnlySpan<byte> value, MaskCounts counts)
    {
        var found = _rules.DetectorRules.Select(r => new int[r.Masker.Detectors.Count]).ToArray();
        if (!OpaqueValueScanner.FindsAnything(value, _rules.DetectorRules, found))
        {
            return false;
        }

        for (var rule = 0; rule < found.Length; rule++)
        {
            for (var d = 0; d < found[rule].Length; d++)
            {
                counts.AddDetector(_rules.DetectorRules[rule].Masker.Detectors[d].Name, found[rule][d]);
            }
        }

        return true;
    }

    /// <summary>
    /// "Key (ssn)=(536-22-8726) already exists." and the foreign-key and exclusion forms show key values of the table
    /// the error names; "Failing row contains (…)" shows a whole row of it. Values of masked columns are masked (a key
    /// over several columns as a whole), a failing row entirely.
    /// </summary>
    private string? MaskTableDetail(string detail, string schema, string table, string? sqlState, MaskCounts counts)
    {
        var masked = _rules.ColumnsOf(schema, table);
        var foreignKey = sqlState == "23503";
        if (foreignKey && OtherTable().Match(detail) is { Success: true } other && _rules.ColumnsOf(schema, other.Groups["table"].Value) is { } referenced)
        {
            // A foreign key's detail names the other table; its key values belong to a column of either table, under
            // names that need not match (customer_ssn references ssn): any column rule on either masks them.
            masked = masked is null ? referenced : masked.Concat(referenced).DistinctBy(c => c.Key).ToDictionary();
        }

        if (masked is null)
        {
            return null;
        }

        if (detail.StartsWith("Failing row contains (", StringComparison.Ordinal))
        {
            var first = masked.Values.First();
            counts.AddColumn(first.Column, 1);
            return $"Failing row contains ([REDACTED: a row of {schema}.{table}]).";
        }

        Match key;
        try
        {
            key = KeyDetail().Match(detail);
        }
        catch (RegexMatchTimeoutException)
        {
            // Fail closed: a detail that cannot be read in time is not shown.
            counts.AddColumn(masked.Values.First().Column, 1);
            return $"[REDACTED: a detail about {schema}.{table}]";
        }

        if (!key.Success)
        {
            return null;
        }

        var columns = key.Groups["columns"].Value.Split(", ");
        var rule = columns.Select(c => masked.GetValueOrDefault(c.Trim('"'))).FirstOrDefault(r => r is not null)
            ?? (foreignKey ? masked.Values.First() : null);
        if (rule is null)
        {
            return null;
        }

        counts.AddColumn(rule.Column, 1);
        var value = key.Groups["values"].Value;
        var replacement = rule.Operator.NullsWholeValue ? $"[REDACTED:{rule.Column}]" : WholeValue(rule, value);
        var rest = key.Groups["rest"].Value;
        if (rest.StartsWith(" conflicts", StringComparison.Ordinal))
        {
            // The exclusion form quotes the other row's key as well.
            rest = " conflicts with an existing key.";
        }

        return $"Key ({key.Groups["columns"].Value})=({replacement}){rest}";
    }

    private static string WholeValue(ColumnMask rule, string value) =>
        string.Create(rule.Operator.GetReplacementLength(value, rule.Column), (rule, value),
            static (destination, state) => state.rule.Operator.WriteReplacement(state.value, state.rule.Column, destination));

    [GeneratedRegex(@"table ""(?<table>(?:[^""]|"""")+)""", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex OtherTable();

    [GeneratedRegex(@"""(?:[^""]|"""")*""", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex QuotedValue();

    [GeneratedRegex(@"^Key \((?<columns>.+?)\)=\((?<values>.*)\)(?<rest> already exists\.| is not present in table .*| is still referenced from table .*| conflicts with existing key .*)$",
        RegexOptions.Singleline | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex KeyDetail();
}
