namespace HoopProxy.Ssh.Session;

/// <summary>The command the target runs instead of a blocked one: the refusal on stderr, exit status 126.</summary>
public static class BlockedCommand
{
    public const int ExitStatus = 126;

    public static string StandIn(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var message = $"hoopproxy: command blocked: {reason}".Replace("'", "'\\''", StringComparison.Ordinal);
        return $"printf '%s\\n' '{message}' >&2; exit {ExitStatus}";
    }
}
