using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Postgres.Recording;

namespace HoopProxy.Host.Sessions;

/// <summary>One line of <c>sessions list</c>: what the start record and the seal say about a session file.</summary>
public sealed record SessionRow(string Id, string? Protocol, DateTimeOffset? Started, string? Identity, string? Target, string? Client,
    DateTimeOffset? Ended, string? EndReason, long Bytes);

/// <summary>The <c>sessions list</c> filters; all given ones must match.</summary>
public sealed record SessionFilter(string? Identity, string? Target, string? Protocol, DateTimeOffset? Since, DateTimeOffset? Until, string? Contains, string? Outcome)
{
    public bool Matches(SessionRow row, string path) =>
        (Identity is null || row.Identity == Identity)
        && (Target is null || row.Target == Target)
        && (Protocol is null || string.Equals(row.Protocol, Protocol, StringComparison.OrdinalIgnoreCase))
        && (Since is null || row.Started >= Since)
        && (Until is null || row.Started < Until)
        && (Outcome is null || (row.EndReason ?? "").Contains(Outcome, StringComparison.OrdinalIgnoreCase))
        && (Contains is null || HasStatement(path, Contains));

    /// <summary>
    /// PostgreSQL: searches the statements decoded from the bytes, so sessions recorded before statement events existed
    /// are found too. SSH: searches the command lines of the channels.
    /// </summary>
    private static bool HasStatement(string path, string text)
    {
        try
        {
            var reader = new RecordingReader(path);
            return SshSessions.IsSsh(reader.Metadata)
                ? SshChannels.Read(reader.ReadRecords()).Any(c => c.Command?.Contains(text, StringComparison.OrdinalIgnoreCase) == true)
                : PostgresTimeline.Build(reader.ReadRecords(), rowLimit: 0)
                    .Any(e => e.Statement?.Text.Contains(text, StringComparison.OrdinalIgnoreCase) == true);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return false;
        }
    }
}

/// <summary>The session files of a recording directory, read directly (no lock), so it works beside a running proxy.</summary>
public static class SessionCatalog
{
    public static List<SessionRow> List(string directory, SessionFilter filter) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*" + RecordingFormat.FileExtension)
                .Select(path => (Path: path, Row: Describe(path)))
                .Where(r => filter.Matches(r.Row, r.Path))
                .Select(r => r.Row)
                .OrderBy(r => r.Started)
                .ToList()
            : [];

    /// <summary>The file of a session, or null (with the reason on stderr) when there is no such session.</summary>
    public static string? Find(string directory, string sessionId) => Find(directory, sessionId, Console.Error);

    public static string? Find(string directory, string sessionId, TextWriter errors)
    {
        var path = Path.Combine(directory, sessionId + RecordingFormat.FileExtension);
        if (RecordingFormat.IsValidSessionId(sessionId) && File.Exists(path))
        {
            return path;
        }

        errors.WriteLine($"no recorded session '{sessionId}' in {directory}");
        return null;
    }

    private static SessionRow Describe(string path)
    {
        var id = Path.GetFileNameWithoutExtension(path);
        try
        {
            var reader = new RecordingReader(path);
            var metadata = reader.Metadata;
            var seal = reader.ReadRecords().LastOrDefault(r => r.Type == RecordType.Seal)?.Seal;
            return new SessionRow(id, metadata.Protocol, metadata.StartedAt, metadata.Identity, metadata.Target, $"{metadata.ClientAddress}:{metadata.ClientPort}",
                seal?.LastTimestamp, seal?.EndReason, new FileInfo(path).Length);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return new SessionRow(id, null, null, null, null, null, null, $"unreadable: {e.Message}", new FileInfo(path).Length);
        }
    }
}
