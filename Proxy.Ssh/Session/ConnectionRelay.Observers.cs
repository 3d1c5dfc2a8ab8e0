using HoopProxy.Core.Recording;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;

namespace HoopProxy.Ssh.Session;

// Channel observers (SFTP decoding, typed lines): fed before bytes move on, their findings recorded, a policy ending honoured.
public sealed partial class ConnectionRelay
{
    private readonly List<ChannelObservation> _observations = [];

    /// <summary>
    /// Runs an observer (under a lock: both pumps feed it) and records what it found, before the bytes move on; an
    /// observation that ends the session stops them here.
    /// </summary>
    private async ValueTask ObserveAsync(RelayedChannel channel, IChannelObserver observer, Action<IChannelObserver> feed, CancellationToken cancellationToken)
    {
        ChannelObservation[] found;
        lock (observer)
        {
            _observations.Clear();
            feed(observer);
            if (_observations.Count == 0)
            {
                return;
            }

            found = [.. _observations];
        }

        foreach (var observation in found)
        {
            observation.Fields["channel"] = channel.Id;
            await _record.EventAsync(observation.Event, observation.Fields, cancellationToken);
        }

        if (found.FirstOrDefault(o => o.EndSession is not null) is { } ending)
        {
            throw new SessionEndedByPolicyException(ending.EndSession!);
        }
    }

    /// <summary>Observers of channels still open when the relay ends report what was unfinished.</summary>
    private async Task CloseObserversAsync()
    {
        RelayedChannel[] open;
        lock (_channels)
        {
            open = [.. _channels.Values.Where(c => c.Observer is not null)];
        }

        foreach (var channel in open)
        {
            try
            {
                await CloseObserverAsync(channel, CancellationToken.None);
            }
            catch (Exception e) when (e is RecordingUnavailableException or SessionEndedByPolicyException or Core.Audit.AuditUnavailableException)
            {
                // The session is over either way; what could be recorded was.
            }
        }
    }

    private async ValueTask CloseObserverAsync(RelayedChannel channel, CancellationToken cancellationToken)
    {
        if (channel.Observer is { } observer)
        {
            channel.Observer = null;
            await ObserveAsync(channel, observer, o => o.OnClose(_observations), cancellationToken);
        }
    }

    /// <summary>A terminal, a shell or a subsystem request decides what, if anything, watches the channel's data.</summary>
    private void Observe(RelayedChannel channel, ChannelRequest request)
    {
        if (_observers is null || channel.Observer is not null)
        {
            return;
        }

        try
        {
            switch (request.RequestType)
            {
                case PtyRequest.Type:
                    channel.HasTerminal = true;
                    break;
                case ShellRequest.Type:
                    channel.Observer = _observers.ForShell(channel.HasTerminal);
                    break;
                case SubsystemRequest.Type:
                    channel.Observer = _observers.ForSubsystem(request.ReadData<SubsystemRequest>().SubsystemName);
                    break;
            }
        }
        catch (SshProtocolException)
        {
            // Malformed request data is recorded as such and judged by the target; there is nothing to observe.
        }
    }
}
