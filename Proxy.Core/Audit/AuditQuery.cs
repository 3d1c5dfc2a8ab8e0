namespace HoopProxy.Core.Audit;

/// <summary>
/// Which events <c>hoopproxy audit query</c> prints; every criterion given must hold. Checkpoints and lines that do not
/// parse are never events (verification reports those).
/// </summary>
/// <param name="User">The user's name or subject (case-insensitive).</param>
/// <param name="Target">The resource's target (case-insensitive).</param>
/// <param name="Types">Event type names (<see cref="AuditEventTypes.All"/>); any of them.</param>
/// <param name="Since">Events at or after this time.</param>
/// <param name="Until">Events before this time.</param>
/// <param name="SessionId">The session id, exactly.</param>
/// <param name="Outcome"><c>success</c> or <c>failure</c>.</param>
public sealed record AuditQuery(
    string? User = null,
    string? Target = null,
    IReadOnlyCollection<string>? Types = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    string? SessionId = null,
    string? Outcome = null)
{
    public bool Matches(AuditLine line)
    {
        if (line.IsCheckpoint)
        {
            return false;
        }

        if (User is not null && !Same(line.String("user.name"), User) && !Same(line.String("user.subject"), User))
        {
            return false;
        }

        if ((Target is not null && !Same(line.String("resource.target"), Target))
            || (Types is { Count: > 0 } && !Types.Contains(line.Type))
            || (SessionId is not null && line.String(AuditFields.SessionId) != SessionId)
            || (Outcome is not null && line.String(AuditFields.Outcome) != Outcome))
        {
            return false;
        }

        if (Since is not null || Until is not null)
        {
            return line.Time is { } time && (Since is null || time >= Since) && (Until is null || time < Until);
        }

        return true;
    }

    /// <summary>The matching events in the order they were logged.</summary>
    public IEnumerable<AuditLine> Run(string path)
    {
        foreach (var raw in AuditLineReader.ReadLines(path))
        {
            if (raw.Terminated && AuditLine.TryParse(raw, out var line, out _) && Matches(line))
            {
                yield return line;
            }
        }
    }

    private static bool Same(string? value, string wanted) => string.Equals(value, wanted, StringComparison.OrdinalIgnoreCase);
}
