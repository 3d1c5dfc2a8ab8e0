namespace HoopProxy.Host.Sessions.Ssh;

/// <summary>How fast to play: <see cref="From"/> is a time of the session's clock (as <c>sessions show</c> prints it).</summary>
/// <param name="Speed">Pauses are divided by this: 2 plays twice as fast.</param>
/// <param name="MaxIdle">No pause on the screen lasts longer than this, whatever the speed.</param>
public sealed record ReplayPace(double Speed = 1, TimeSpan? From = null, TimeSpan? MaxIdle = null);

/// <summary>
/// Writes a terminal's output at the pace it was recorded. Output before <see cref="ReplayPace.From"/> is written at once,
/// so the screen is what it was at that moment; from there each pause is the gap between the records divided by the
/// speed and capped at the idle limit. The pauses are kept on one schedule from the first paced record, so the time a
/// slow terminal takes to draw is taken off the next pause instead of adding up.
/// </summary>
public sealed class TerminalReplay(Stream output, TimeProvider time, ReplayPace pace)
{
    /// <summary>The session time of the last output written: where a stopped replay stopped.</summary>
    public TimeSpan Position { get; private set; }

    /// <param name="start">Where playing begins when no <see cref="ReplayPace.From"/> is given: the channel's opening.</param>
    public async Task PlayAsync(IEnumerable<TerminalEvent> events, TimeSpan start, CancellationToken cancellationToken)
    {
        var from = pace.From ?? start;
        Position = from;
        long? scheduleStart = null;
        var onScreen = TimeSpan.Zero;
        foreach (var e in events)
        {
            if (e.Kind != TerminalEventKind.Output)
            {
                continue;
            }

            if (e.At >= from)
            {
                if (scheduleStart is null)
                {
                    // What came before the starting point is on the screen now, all at once.
                    await output.FlushAsync(cancellationToken);
                    scheduleStart = time.GetTimestamp();
                }

                onScreen += PauseBefore(e.At);
                var wait = onScreen - time.GetElapsedTime(scheduleStart.Value);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            await output.WriteAsync(e.Bytes, cancellationToken);
            if (scheduleStart is not null)
            {
                await output.FlushAsync(cancellationToken);
            }

            Position = e.At > Position ? e.At : Position;
        }

        await output.FlushAsync(cancellationToken);
    }

    private TimeSpan PauseBefore(TimeSpan at)
    {
        var pause = (at - Position) / pace.Speed;
        return pace.MaxIdle is { } limit && pause > limit ? limit : pause;
    }
}
