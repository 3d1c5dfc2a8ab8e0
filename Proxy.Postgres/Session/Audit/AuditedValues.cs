using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Protocol;

namespace HoopProxy.Postgres.Session.Audit;

/// <summary>
/// Parameter values as an event shows them: text-format values as text, binary ones as <c>\x</c> hex, each cut to
/// a bound. The recorded bytes keep every value whole; the event is for reading and searching.
/// </summary>
internal static class AuditedValues
{
    /// <summary>Characters kept of one value in an event.</summary>
    public const int MaxValueChars = 1024;

    /// <summary>Characters kept of a statement's text in an event (the bytes keep all of it).</summary>
    public const int MaxTextChars = 64 * 1024;

    public static string?[] From(ValueList values, FormatCodeList formats)
    {
        var result = new string?[values.Count];
        var index = 0;
        foreach (var value in values)
        {
            result[index] = value.IsNull ? null : Describe(value.Data, IsBinary(formats, index));
            index++;
        }

        return result;
    }

    /// <summary>Zero format codes mean all text, one applies to every value, otherwise one per value.</summary>
    public static bool IsBinary(FormatCodeList formats, int index) => formats.Count switch
    {
        0 => false,
        1 => formats[0] == FormatCode.Binary,
        _ => index < formats.Count && formats[index] == FormatCode.Binary,
    };

    private static string Describe(ReadOnlySequence<byte> data, bool binary)
    {
        if (binary)
        {
            var shown = data.Slice(0, Math.Min(data.Length, MaxValueChars / 2));
            var hex = "\\x" + Convert.ToHexStringLower(shown.ToArray());
            return shown.Length < data.Length ? $"{hex}… ({data.Length} bytes)" : hex;
        }

        var text = Encoding.UTF8.GetString(data.Slice(0, Math.Min(data.Length, MaxValueChars * 4)));
        return Truncate(text, MaxValueChars, data.Length);
    }

    public static string Truncate(string text, int maxChars, long totalBytes) =>
        text.Length <= maxChars ? text : $"{text[..maxChars]}… ({totalBytes} bytes)";
}
