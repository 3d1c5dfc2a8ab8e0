using HoopProxy.Core.Recording;

namespace HoopProxy.Host.Sessions.Ssh;

/// <param name="WithInput">Also the client's keystrokes ("i" events); they may hold what was typed at a password prompt.</param>
public sealed record AsciicastRequest(string SessionId, uint? Channel = null, bool WithInput = false, bool Unverified = false);

/// <summary>
/// <c>hoopproxy sessions export ID --format asciicast</c>: one channel's terminal as asciicast v2, for asciinema's
/// player. Its times count from the channel's opening, which the header's timestamp gives as wall-clock time.
/// </summary>
public static class AsciicastExport
{
    /// <summary>A channel without a pty had no terminal size; asciinema's own default.</summary>
    private const int DefaultWidth = 80;

    private const int DefaultHeight = 24;

    /// <returns>0 when written, 1 when there is nothing to export (the reason is on <paramref name="errors"/>).</returns>
    public static int Run(RecordingOptions options, AsciicastRequest request, Func<Stream> openOutput, TextWriter errors)
    {
        if (TerminalSession.Open(options, request.SessionId, request.Channel, request.Unverified, "the asciicast export takes SSH terminal sessions", errors) is not { } session)
        {
            return 1;
        }

        var channel = session.Channel;
        var header = new AsciicastHeader(
            channel.Cols is int cols and > 0 ? cols : DefaultWidth,
            channel.Rows is int rows and > 0 ? rows : DefaultHeight,
            session.Reader.RecordingStartedAt + channel.OpenedAt,
            session.Title,
            channel.Term);
        try
        {
            using var output = openOutput();
            using var cast = new AsciicastWriter(output);
            cast.WriteHeader(header);
            var last = TimeSpan.Zero;
            foreach (var e in TerminalEvents.Of(session.Reader.ReadRecords(), channel.Id, request.WithInput))
            {
                last = e.At - channel.OpenedAt;
                if (e.Kind == TerminalEventKind.Resize)
                {
                    cast.WriteResize(last, e.Cols, e.Rows);
                }
                else
                {
                    cast.WriteBytes(last, e.Kind, e.Stream, e.Bytes.Span);
                }
            }

            cast.Finish(last);
            return 0;
        }
        catch (InvalidDataException e)
        {
            errors.WriteLine($"session {request.SessionId} cannot be read to its end: {e.Message}");
            return 1;
        }
    }
}
