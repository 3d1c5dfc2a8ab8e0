using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>
/// A verified SSH session and the channel whose terminal <c>replay</c> or the asciicast export plays: the one named, or
/// the first with a terminal, else the first that ran a command.
/// </summary>
public sealed record TerminalSession(RecordingReader Reader, SshChannelInfo Channel)
{
    /// <param name="purpose">Says what the command does, for the refusal of a session it cannot play: "replay plays SSH terminal sessions".</param>
    /// <returns>Null, with the reason written to <paramref name="errors"/>, when there is nothing to play.</returns>
    public static TerminalSession? Open(RecordingOptions options, string sessionId, uint? channelId, bool unverified, string purpose, TextWriter errors)
    {
        if (SessionCatalog.Find(options.Directory, sessionId, errors) is not { } path)
        {
            return null;
        }

        RecordingReader reader;
        IReadOnlyList<SshChannelInfo> channels;
        try
        {
            reader = new RecordingReader(path);
            if (!SshSessions.IsSsh(reader.Metadata))
            {
                errors.WriteLine($"session {sessionId} is a {reader.Metadata.Protocol} session; {purpose} — use show");
                return null;
            }

            if (!SessionIntegrity.Check(options, sessionId, errors, unverified, "Run 'hoopproxy sessions verify' for the details, or add --unverified to play it anyway."))
            {
                return null;
            }

            channels = SshChannels.Read(reader.ReadRecords());
        }
        catch (InvalidDataException e)
        {
            errors.WriteLine($"session {sessionId} cannot be read: {e.Message}");
            return null;
        }

        var channel = channelId is { } id ? channels.FirstOrDefault(c => c.Id == id) : SshChannels.ChooseTerminal(channels);
        if (channel is not null)
        {
            return new TerminalSession(reader, channel);
        }

        errors.WriteLine(channelId is { } wanted
            ? $"session {sessionId} has no channel {wanted}{(channels.Count > 0 ? $" (its channels: {string.Join(", ", channels.Select(c => c.Id))})" : "")}"
            : $"session {sessionId} has no terminal channel (no pty, shell or exec{(channels.Count == 0 ? "; no channel was opened" : "")}); {purpose} — use show");
        return null;
    }

    /// <summary>"shell", the command line, or "subsystem NAME"; "terminal" for a pty that started nothing.</summary>
    public string Command => Channel.Command ?? "terminal";

    public string Title => $"{Reader.Metadata.Identity ?? "(not authenticated)"}@{Reader.Metadata.Target}: {Command}";
}

/// <summary>Which sessions are SSH's: the start record's protocol.</summary>
public static class SshSessions
{
    public const string Protocol = "ssh";

    public static bool IsSsh(SessionMetadata metadata) => string.Equals(metadata.Protocol, Protocol, StringComparison.OrdinalIgnoreCase);
}
