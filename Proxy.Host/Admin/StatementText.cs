namespace HoopProxy.Host.Admin;

/// <summary>Statement text for one line of a log or a table: line breaks become spaces and long text is cut with an ellipsis.</summary>
public static class StatementText
{
    public static string Shorten(string text, int maxLength)
    {
        var oneLine = string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return oneLine.Length <= maxLength ? oneLine : string.Concat(oneLine.AsSpan(0, maxLength - 1), "…");
    }
}
