using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary>One pause the replay asked for, and how many output bytes had been written when it asked.</summary>
internal readonly record struct RequestedPause(TimeSpan Delay, long OutputWritten);

/// <summary>
/// Fake time for the replay: every timer the code under test creates is noted, and <see cref="DriveAsync"/> moves the
/// clock on by exactly that much, so a replay of minutes takes milliseconds and the test sees every pause it asked for.
/// </summary>
internal sealed class SteppedTime : FakeTimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _created = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        // Noted after the timer exists: moving the clock before it did would leave it waiting for a time already past.
        _created.Enqueue(dueTime);
        return timer;
    }

    /// <summary>Runs <paramref name="replay"/> to its end, advancing the clock at each pause; <paramref name="stop"/> cancels at the pause with that index instead.</summary>
    public async Task<List<RequestedPause>> DriveAsync(Task replay, Stream output, CancellationTokenSource? stop = null, int stopAtPause = -1)
    {
        var pauses = new List<RequestedPause>();
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!replay.IsCompleted)
        {
            if (_created.TryDequeue(out var delay))
            {
                pauses.Add(new RequestedPause(delay, output.Length));
                if (pauses.Count - 1 == stopAtPause)
                {
                    await stop!.CancelAsync();
                }
                else
                {
                    Advance(delay);
                }
            }
            else if (DateTime.UtcNow > limit)
            {
                throw new TimeoutException("the replay neither finished nor asked for a pause within 30 s");
            }
            else
            {
                await Task.Delay(1);
            }
        }

        await replay;
        return pauses;
    }
}
