namespace HoopProxy.Host.Sessions;

/// <summary>When to colour the output: by default only when it goes to a terminal and NO_COLOR is not set.</summary>
public enum ColorChoice
{
    Auto,
    Always,
    Never,
}

/// <summary>ANSI colours for a terminal; plain text for a pipe or a file, so output stays greppable.</summary>
public sealed class ConsoleStyle(bool enabled)
{
    public bool Enabled { get; } = enabled;

    public static ConsoleStyle For(ColorChoice choice) => new(choice switch
    {
        ColorChoice.Always => true,
        ColorChoice.Never => false,
        _ => !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
    });

    public string Bold(string text) => Wrap("1", text);

    public string Dim(string text) => Wrap("2", text);

    public string Red(string text) => Wrap("31", text);

    public string Green(string text) => Wrap("32", text);

    public string Yellow(string text) => Wrap("33", text);

    public string Cyan(string text) => Wrap("36", text);

    private string Wrap(string code, string text) => Enabled && text.Length > 0 ? $"\e[{code}m{text}\e[0m" : text;
}

/// <summary>Columns padded to their widest cell; colour is applied after padding so escape codes never skew the alignment.</summary>
public static class TextTable
{
    public static void Write(TextWriter output, IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows,
        string indent = "", string separator = "  ", Func<string, string>? styleHeader = null)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => i < r.Count ? r[i].Length : 0))).ToArray();
        var headerLine = string.Join(separator, header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd();
        output.WriteLine(indent + (styleHeader?.Invoke(headerLine) ?? headerLine));
        foreach (var row in rows)
        {
            output.WriteLine(indent + string.Join(separator, row.Select((cell, i) => cell.PadRight(i < widths.Length ? widths[i] : 0))).TrimEnd());
        }
    }
}
