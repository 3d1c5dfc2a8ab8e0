using HoopProxy.Core.Identity.Sessions;
using HoopProxy.Ssh.Transport;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// Ends a live SSH session when the <see cref="SessionGuardian"/> asks (its credential revoked, its token expired):
/// a DISCONNECT to the client with the reason and one to the target, after which the peers close and the relay ends as
/// it does for any disconnect; if they do not, the relay is stopped shortly after. The DISCONNECTs go through each
/// transport's send lock, so they follow whatever packet is being sent instead of cutting into it, which stopping the
/// relay first could do. Owned by the session for the life of its relay.
/// </summary>
internal sealed class CredentialWatch : IDisposable
{
    /// <summary>How long the peers have to close their connections after the DISCONNECTs before the relay is stopped.</summary>
    private static readonly TimeSpan StopAfter = TimeSpan.FromSeconds(2);

    private const string TargetMessage = "the client's session was ended by the proxy: its credential is no longer valid";

    private readonly SessionTermination _termination = new();
    private readonly CancellationTokenSource _relayStop;
    private readonly CancellationTokenRegistration _onEnding;
    private readonly IDisposable _watch;

    public CredentialWatch(SessionGuardian guardian, SessionCredential credential, SshTransport client, SshTransport target, CancellationToken aborted)
    {
        _relayStop = CancellationTokenSource.CreateLinkedTokenSource(aborted);

        // Registered before the watch starts, which may ask for the end at once (revoked while the login ran). The
        // guardian calls from the revocation list's thread or a timer: the disconnects run elsewhere.
        _onEnding = _termination.Requested.Register(() => _ = Task.Run(() => TellAndStopAsync(client, target)));
        _watch = guardian.Watch(credential, _termination);
    }

    /// <summary>For the relay: cancelled when the listener aborts the connection, or shortly after the end was told.</summary>
    public CancellationToken RelayStop => _relayStop.Token;

    /// <summary>Why the proxy ends the session; null while it may go on.</summary>
    public SessionEnding? Ending => _termination.Ending;

    /// <summary>What the client reads; ssh prints it as "Received disconnect from …: hoopproxy ended the session: …".</summary>
    public static string ClientMessage(SessionEnding ending) => $"hoopproxy ended the session: {ending.Reason}";

    /// <summary>Both peers hear of the end (each transport sends its DISCONNECT once; a repeat returns when the first is out).</summary>
    public static async Task TellAsync(SshTransport client, SshTransport target, SessionEnding ending)
    {
        await client.DisconnectAsync(SshDisconnectReason.ByApplication, ClientMessage(ending));
        await target.DisconnectAsync(SshDisconnectReason.ByApplication, TargetMessage);
    }

    private async Task TellAndStopAsync(SshTransport client, SshTransport target)
    {
        try
        {
            // Armed before telling: a peer that does not read can hold each DISCONNECT for seconds, and the session
            // must still end. Told in time, the target closes the connection (and ssh exits), which ends the relay the
            // ordinary way first: its held commands withdrawn, its observers closed.
            _relayStop.CancelAfter(StopAfter);
        }
        catch (ObjectDisposedException)
        {
            // The relay is already over.
            return;
        }

        try
        {
            await TellAsync(client, target, _termination.Ending!);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // The session ended on its own meanwhile and closed its transports.
        }
    }

    public void Dispose()
    {
        _watch.Dispose();
        _onEnding.Dispose();
        _relayStop.Dispose();
        _termination.Dispose();
    }
}
