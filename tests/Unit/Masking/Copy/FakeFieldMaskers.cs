using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Masking.Wire;

namespace HoopProxy.Tests.Unit.Masking.Copy;

/// <summary>A field the fake maskers were asked about: the column and the value as text (binary values read as UTF-8 too).</summary>
internal readonly record struct SeenField(int Column, string Value, bool Binary);

/// <summary>
/// An <see cref="IFieldMasker"/> driven by a function of (column, value text): return null to leave the field alone,
/// <see cref="Null"/> for SQL NULL, or the replacement text. Records every field it was asked about.
/// </summary>
internal sealed class FakeFieldMasker(Func<int, string, string?> decide) : IFieldMasker
{
    /// <summary>A replacement meaning "make it NULL".</summary>
    public const string Null = "\u0000<NULL>";

    public List<SeenField> Seen { get; } = [];

    public bool MasksAnything => true;

    /// <summary>Replaces any value containing "SECRET" by "XXX".</summary>
    public static FakeFieldMasker Secrets() => new((_, value) => value.Contains("SECRET", StringComparison.Ordinal) ? "XXX" : null);

    /// <summary>Changes nothing.</summary>
    public static FakeFieldMasker PassThrough() => new((_, _) => null);

    /// <summary>Replaces one column's values by <paramref name="replacement"/>.</summary>
    public static FakeFieldMasker Column(int column, string replacement) => new((c, _) => c == column ? replacement : null);

    public FieldMaskResult Mask(int column, ReadOnlySpan<byte> value, bool binary, IBufferWriter<byte> replacement)
    {
        var text = Encoding.UTF8.GetString(value);
        Seen.Add(new SeenField(column, text, binary));
        switch (decide(column, text))
        {
            case null:
                return FieldMaskResult.Unchanged;
            case Null:
                return FieldMaskResult.Null;
            case var other:
                replacement.Write(Encoding.UTF8.GetBytes(other));
                return FieldMaskResult.Replaced;
        }
    }
}

/// <summary>Answers "replaced" with the very bytes it was given: a rewriter that escapes as PostgreSQL does then changes nothing.</summary>
internal sealed class SameBytesMasker : IFieldMasker
{
    public int Calls { get; private set; }

    public bool MasksAnything => true;

    public FieldMaskResult Mask(int column, ReadOnlySpan<byte> value, bool binary, IBufferWriter<byte> replacement)
    {
        Calls++;
        replacement.Write(value);
        return FieldMaskResult.Replaced;
    }
}

/// <summary>Says it masks nothing, and fails the test if it is asked anyway.</summary>
internal sealed class NothingToMaskMasker : IFieldMasker
{
    public bool MasksAnything => false;

    public FieldMaskResult Mask(int column, ReadOnlySpan<byte> value, bool binary, IBufferWriter<byte> replacement) =>
        throw new InvalidOperationException("a masker that masks nothing was asked to mask");
}
