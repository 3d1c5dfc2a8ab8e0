namespace HoopProxy.Core.Identity.Sessions;

/// <summary>
/// One session's end imposed from outside (revocation, expiry): the first request wins, later ones are ignored, and the
/// session notices through <see cref="Requested"/> wherever it waits. Safe from any thread.
/// </summary>
public sealed class SessionTermination : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private SessionEnding? _ending;

    /// <summary>Cancelled when an end is requested.</summary>
    public CancellationToken Requested => _requested.Token;

    /// <summary>The end requested first; null while the session may go on.</summary>
    public SessionEnding? Ending => Volatile.Read(ref _ending);

    public bool IsRequested => Ending is not null;

    /// <summary>Asks the session to end; returns false if an end was already asked for.</summary>
    public bool Request(SessionEnding ending)
    {
        if (Interlocked.CompareExchange(ref _ending, ending, null) is not null)
        {
            return false;
        }

        try
        {
            _requested.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session is already over.
        }

        return true;
    }

    public void Dispose() => _requested.Dispose();
}
