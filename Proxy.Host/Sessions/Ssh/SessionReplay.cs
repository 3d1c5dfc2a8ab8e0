using System.Globalization;
using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <param name="Channel">The channel to play; null picks the terminal (<see cref="SshChannels.ChooseTerminal"/>).</param>
/// <param name="Unverified">Play even when verification fails (with a warning).</param>
/// <param name="ResetTerminalOnStop">
/// A replay stopped halfway can leave the terminal in the session's state (colours, hidden cursor, the alternate
/// screen of an editor); when the output is a terminal, a stop resets those.
/// </param>
public sealed record ReplayRequest(string SessionId, ReplayPace Pace, uint? Channel = null, bool Unverified = false, bool ResetTerminalOnStop = false);

/// <summary><c>hoopproxy sessions replay</c>: an SSH terminal session played on the output at its recorded pace.</summary>
public static class SessionReplay
{
    public const int Interrupted = 130;

    /// <summary>Normal colours and cursor, and back from the alternate screen (a no-op when not on it).</summary>
    private static readonly byte[] TerminalReset = "\e[0m\e[?25h\e[?1049l"u8.ToArray();

    /// <returns>0 when played to the end, 1 when there is nothing to play (the reason is on <paramref name="errors"/>), 130 when stopped.</returns>
    public static async Task<int> RunAsync(RecordingOptions options, ReplayRequest request, Stream output, TextWriter errors, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (TerminalSession.Open(options, request.SessionId, request.Channel, request.Unverified, "replay plays SSH terminal sessions", errors) is not { } session)
        {
            return 1;
        }

        errors.WriteLine(Header(session, request));
        var replay = new TerminalReplay(output, time, request.Pace);
        try
        {
            await replay.PlayAsync(TerminalEvents.Of(session.Reader.ReadRecords(), session.Channel.Id, withInput: false), session.Channel.OpenedAt, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (request.ResetTerminalOnStop)
            {
                await output.WriteAsync(TerminalReset, CancellationToken.None);
                await output.FlushAsync(CancellationToken.None);
            }

            errors.WriteLine();
            errors.WriteLine($"replay stopped at {SessionTime.Format(replay.Position)}");
            return Interrupted;
        }
        catch (InvalidDataException e)
        {
            errors.WriteLine();
            errors.WriteLine($"replay stopped at {SessionTime.Format(replay.Position)}: the recording cannot be read further: {e.Message}");
            return 1;
        }
        catch (IOException e)
        {
            // The reader of a pipe went away (`replay ID | head`): nobody is watching any more.
            errors.WriteLine($"replay stopped at {SessionTime.Format(replay.Position)}: {e.Message}");
            return 1;
        }

        if (session.Channel.ExitDescription is { } exit)
        {
            errors.WriteLine($"channel {session.Channel.Id}: {exit}");
        }

        return 0;
    }

    /// <summary>One line: who, where, when, which channel ran what on which terminal, and how it is played.</summary>
    private static string Header(TerminalSession session, ReplayRequest request)
    {
        var m = session.Reader.Metadata;
        var channel = session.Channel;
        var terminal = channel.HasPty ? $" ({channel.Term ?? "?"} {channel.Cols}x{channel.Rows})" : "";
        var pace = request.Pace;
        var how = (pace.From is { } from ? $", from {SessionTime.Format(from)}" : "")
            + (pace.Speed != 1 ? string.Create(CultureInfo.InvariantCulture, $", at {pace.Speed:0.##}x") : "")
            + (pace.MaxIdle is { } idle ? string.Create(CultureInfo.InvariantCulture, $", pauses at most {idle.TotalSeconds:0.###}s") : "");
        return $"session {m.SessionId}: {m.Identity ?? "(not authenticated)"} → {m.Target} as {m.UpstreamAccount ?? "-"}, started {m.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC;"
            + $" channel {channel.Id}: {session.Command}{terminal}{how}";
    }
}
