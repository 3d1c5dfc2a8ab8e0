using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using HoopProxy.Postgres.Masking.Rules;

namespace HoopProxy.Postgres.Masking.Wire;

/// <summary>One result column as masking sees it: what to call it, its type's kind, and the column rule on it if any.</summary>
public sealed record ResultColumn(string Label, ValueKind Kind, ColumnMask? Rule);

/// <summary>
/// The masking of one result's rows (a RowDescription's columns, or a COPY's): per column the column rule that
/// masks it whole, and the session's detector rules for every text value. Decodes a value only when its column can
/// be masked, writes the replacement valid for the column's type (see <see cref="ValueKind"/>), and counts what it
/// masked until <see cref="TakeCounts"/>. One instance per result; used by one relay thread at a time.
/// </summary>
public sealed class ResultMaskPlan : IFieldMasker
{
    private const int StackChars = 256;

    private static ReadOnlySpan<byte> JsonbVersion => [1];

    private readonly ResultColumn[] _columns;
    private readonly DetectorMask[] _detectors;
    private readonly bool[] _scanned;
    private readonly long[] _columnCounts;
    private readonly int[][] _detectorCounts;

    public ResultMaskPlan(IReadOnlyList<ResultColumn> columns, IReadOnlyList<DetectorMask> detectors)
    {
        _columns = [.. columns];
        _detectors = [.. detectors];
        _scanned = _columns.Select(c => c.Rule is not null || (_detectors.Length > 0 && c.Kind != ValueKind.NonText)).ToArray();
        MasksAnything = _scanned.Contains(true);
        _columnCounts = new long[_columns.Length];
        _detectorCounts = _detectors.Select(d => new int[d.Masker.Detectors.Count]).ToArray();
    }

    public bool MasksAnything { get; }

    public int ColumnCount => _columns.Length;

    public IReadOnlyList<ResultColumn> Columns => _columns;

    /// <summary>True when values of this column go through <see cref="Mask"/>; others pass untouched.</summary>
    public bool IsMasked(int column) => column < _scanned.Length && _scanned[column];

    public FieldMaskResult Mask(int column, ReadOnlySpan<byte> value, bool binary, IBufferWriter<byte> replacement)
    {
        if (!IsMasked(column))
        {
            return FieldMaskResult.Unchanged;
        }

        var target = _columns[column];
        var result = (target.Kind, binary) switch
        {
            (ValueKind.NonText, _) => FieldMaskResult.Null,
            (ValueKind.Xml or ValueKind.TextArray, _) when target.Rule is not null => FieldMaskResult.Null,
            (ValueKind.Jsonb, true) => MaskJsonb(target, value, replacement),
            (ValueKind.TextArray, true) => MaskBinaryArray(target, value, replacement),
            (ValueKind.Other, true) => MaskOpaque(target, value),
            _ => MaskText(target, value, replacement, target.Kind is ValueKind.Json or ValueKind.Jsonb),
        };
        if (result != FieldMaskResult.Unchanged)
        {
            _columnCounts[column]++;
        }

        return result;
    }

    /// <summary>What was masked since the last call, added to <paramref name="counts"/>; the plan's counters start again from zero.</summary>
    public void TakeCounts(MaskCounts counts)
    {
        for (var i = 0; i < _columns.Length; i++)
        {
            counts.AddColumn(_columns[i].Label, _columnCounts[i]);
            _columnCounts[i] = 0;
        }

        for (var rule = 0; rule < _detectors.Length; rule++)
        {
            var detectors = _detectors[rule].Masker.Detectors;
            for (var d = 0; d < detectors.Count; d++)
            {
                counts.AddDetector(detectors[d].Name, _detectorCounts[rule][d]);
                _detectorCounts[rule][d] = 0;
            }
        }
    }

    /// <summary>jsonb in binary: a version byte (1), then the JSON text.</summary>
    private FieldMaskResult MaskJsonb(ResultColumn target, ReadOnlySpan<byte> value, IBufferWriter<byte> replacement)
    {
        if (value.IsEmpty || value[0] != 1)
        {
            // A jsonb version this proxy does not know: its layout is unknown, so nothing of it may pass.
            return FieldMaskResult.Null;
        }

        var scratch = new ArrayBufferWriter<byte>();
        var result = MaskText(target, value[1..], scratch, asJsonString: true);
        if (result == FieldMaskResult.Replaced)
        {
            replacement.Write(JsonbVersion);
            replacement.Write(scratch.WrittenSpan);
        }

        return result;
    }

    /// <summary>A binary value of a type whose layout is unknown: anything found in it (see <see cref="OpaqueValueScanner"/>) makes it NULL.</summary>
    private FieldMaskResult MaskOpaque(ResultColumn target, ReadOnlySpan<byte> value) =>
        target.Rule is not null || OpaqueValueScanner.FindsAnything(value, _detectors, _detectorCounts) ? FieldMaskResult.Null : FieldMaskResult.Unchanged;

    /// <summary>
    /// A binary array (ndim, has-null flag, element type, ndim × (size, lower bound), then length-prefixed elements):
    /// each text-like element is masked by the detectors; the array is rebuilt only when one changed.
    /// </summary>
    private FieldMaskResult MaskBinaryArray(ResultColumn target, ReadOnlySpan<byte> value, IBufferWriter<byte> replacement)
    {
        if (value.Length < 12)
        {
            return FieldMaskResult.Null;
        }

        var dimensions = BinaryPrimitives.ReadInt32BigEndian(value);
        var elementType = BinaryPrimitives.ReadUInt32BigEndian(value[8..]);
        var headerLength = 12 + (8 * (long)dimensions);
        var elementKind = ColumnTypes.KindOf(elementType);
        if (dimensions is < 0 or > 6 || headerLength > value.Length || elementKind is not (ValueKind.Text or ValueKind.Json or ValueKind.Jsonb or ValueKind.Xml))
        {
            return FieldMaskResult.Null;
        }

        var element = target with { Kind = elementKind };
        var rebuilt = new ArrayBufferWriter<byte>();
        rebuilt.Write(value[..(int)headerLength]);
        var changed = false;
        var anyNull = false;
        var position = (int)headerLength;
        var scratch = new ArrayBufferWriter<byte>();
        while (position < value.Length)
        {
            if (value.Length - position < 4)
            {
                return FieldMaskResult.Null;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(value[position..]);
            position += 4;
            if (length == -1)
            {
                anyNull = true;
                WriteInt32(rebuilt, -1);
                continue;
            }

            if (length < 0 || length > value.Length - position)
            {
                return FieldMaskResult.Null;
            }

            var item = value.Slice(position, length);
            position += length;
            scratch.ResetWrittenCount();
            var result = elementKind == ValueKind.Jsonb ? MaskJsonb(element, item, scratch) : MaskText(element, item, scratch, asJsonString: false);
            switch (result)
            {
                case FieldMaskResult.Replaced:
                    changed = true;
                    WriteInt32(rebuilt, scratch.WrittenCount);
                    rebuilt.Write(scratch.WrittenSpan);
                    break;
                case FieldMaskResult.Null:
                    changed = anyNull = true;
                    WriteInt32(rebuilt, -1);
                    break;
                default:
                    WriteInt32(rebuilt, length);
                    rebuilt.Write(item);
                    break;
            }
        }

        if (!changed)
        {
            return FieldMaskResult.Unchanged;
        }

        var bytes = rebuilt.WrittenMemory.ToArray();
        if (anyNull)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 1);
        }

        replacement.Write(bytes);
        return FieldMaskResult.Replaced;
    }

    /// <summary>
    /// The value as text: the column rule masks it whole, then each detector rule masks what it finds. Invalid UTF-8
    /// cannot be scanned reliably, so it is treated as something to hide (NULL). Works in pooled or stack buffers:
    /// a value costs no allocation unless a detector finds something in it.
    /// </summary>
    private FieldMaskResult MaskText(ResultColumn target, ReadOnlySpan<byte> utf8, IBufferWriter<byte> replacement, bool asJsonString)
    {
        char[]? rentedText = null;
        char[]? rentedWhole = null;
        try
        {
            Span<char> text = utf8.Length <= StackChars ? stackalloc char[StackChars] : (rentedText = ArrayPool<char>.Shared.Rent(utf8.Length));
            if (Utf8.ToUtf16(utf8, text, out _, out var length, replaceInvalidSequences: false) != OperationStatus.Done)
            {
                return FieldMaskResult.Null;
            }

            ReadOnlySpan<char> current = text[..length];
            var changed = false;
            if (target.Rule is { } rule)
            {
                if (rule.Operator.NullsWholeValue)
                {
                    return FieldMaskResult.Null;
                }

                if (asJsonString)
                {
                    current = WholeValueAsJsonString(rule, current);
                }
                else
                {
                    var wholeLength = rule.Operator.GetReplacementLength(current, rule.Column);
                    Span<char> whole = wholeLength <= StackChars ? stackalloc char[StackChars] : (rentedWhole = ArrayPool<char>.Shared.Rent(wholeLength));
                    rule.Operator.WriteReplacement(current, rule.Column, whole[..wholeLength]);
                    current = whole[..wholeLength];
                }

                changed = true;
            }

            for (var i = 0; i < _detectors.Length; i++)
            {
                if (_detectors[i].Masker.TryMask(current, _detectorCounts[i], out var found))
                {
                    if (found.IsNull)
                    {
                        return FieldMaskResult.Null;
                    }

                    current = found.Text;
                    changed = true;
                }
            }

            if (!changed)
            {
                return FieldMaskResult.Unchanged;
            }

            var span = replacement.GetSpan(Encoding.UTF8.GetMaxByteCount(current.Length));
            replacement.Advance(Encoding.UTF8.GetBytes(current, span));
            return FieldMaskResult.Replaced;
        }
        finally
        {
            if (rentedText is not null)
            {
                ArrayPool<char>.Shared.Return(rentedText);
            }

            if (rentedWhole is not null)
            {
                ArrayPool<char>.Shared.Return(rentedWhole);
            }
        }
    }

    /// <summary>A JSON column must still hold JSON: the masked text becomes a JSON string.</summary>
    private static string WholeValueAsJsonString(ColumnMask rule, ReadOnlySpan<char> value) =>
        System.Text.Json.JsonSerializer.Serialize(rule.Operator.MaskWholeValue(value.ToString(), rule.Column).Text);

    private static void WriteInt32(IBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }
}
