using System.Buffers.Binary;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Session;

/// <summary>How the relay ended: which side ended it and why, in words for the log, the record and the other peer.</summary>
public sealed record RelayEnd(string Side, string Reason);

/// <summary>
/// The connection protocol (RFC 4254) relayed between the client's transport and the target's: two pumps, one per
/// direction; the first to end ends the relay, and the other side is told with a DISCONNECT. Session channels are
/// relayed message by message (channel numbers rewritten in place, windows passed through — see
/// <see cref="RelayedChannel"/>); every channel request is recorded as an event and channel data as data records.
/// Other channel types and global requests are refused cleanly (CHANNEL_OPEN_FAILURE, REQUEST_FAILURE) until forwarding
/// is built, and the refusal is recorded.
/// </summary>
public sealed class ConnectionRelay
{
    /// <summary>Open channels per connection; OpenSSH's server allows about as many sessions (MaxSessions 10) by default.</summary>
    public const int MaxChannels = 64;

    private static readonly HashSet<string> RefusedChannelRequests = new(StringComparer.Ordinal)
    {
        X11Request.Type, "auth-agent-req@openssh.com", "auth-agent-req",
    };

    private readonly SshTransport _client;
    private readonly SshTransport _target;
    private readonly SshSessionRecord _record;
    private readonly Dictionary<uint, RelayedChannel> _channels = [];
    private uint _nextChannel;

    private readonly Func<ChannelOpen, OpenDecision> _judgeOpen;
    private readonly Func<string, string?> _refuseExec;
    private readonly ChannelObservers? _observers;

    /// <param name="judgeOpen">Decides a client's channel open (session channels, and forwarding by the channel policy).</param>
    /// <param name="refuseExec">Says why an exec command line must not run, or null to let it run.</param>
    /// <param name="observers">Chooses what watches sftp and shell channels (null: nothing does).</param>
    public ConnectionRelay(SshTransport client, SshTransport target, SshSessionRecord record, Func<ChannelOpen, OpenDecision> judgeOpen,
        Func<string, string?>? refuseExec = null, ChannelObservers? observers = null)
    {
        _observers = observers;
        _client = client;
        _target = target;
        _record = record;
        _judgeOpen = judgeOpen;
        _refuseExec = refuseExec ?? (_ => null);
    }

    /// <summary>Messages relayed each way (for the disconnect event).</summary>
    public long ClientMessages { get; private set; }

    public long TargetMessages { get; private set; }

    public async Task<RelayEnd> RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fromClient = PumpAsync(fromClient: true, stop.Token);
        var fromTarget = PumpAsync(fromClient: false, stop.Token);
        var first = await Task.WhenAny(fromClient, fromTarget);
        await stop.CancelAsync();
        var end = await first;
        try
        {
            await (first == fromClient ? fromTarget : fromClient);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SshProtocolException or SshDisconnectedException or ObjectDisposedException or InvalidOperationException)
        {
            // The other direction stops because the first one ended; its own error says nothing new.
        }

        await CloseObserversAsync();
        return end;
    }

    private async Task<RelayEnd> PumpAsync(bool fromClient, CancellationToken cancellationToken)
    {
        var source = fromClient ? _client : _target;
        var destination = fromClient ? _target : _client;
        var side = fromClient ? "client" : "target";
        try
        {
            while (true)
            {
                // Relayed packets are buffered until the source has nothing more already received, then flushed at once.
                var payload = await source.ReceiveAsync(cancellationToken);
                do
                {
                    if (fromClient)
                    {
                        ClientMessages++;
                    }
                    else
                    {
                        TargetMessages++;
                    }

                    await DispatchAsync(payload, fromClient, cancellationToken);
                    payload = await source.ReceiveBufferedAsync(cancellationToken);
                }
                while (payload is not null);

                await destination.FlushAsync(cancellationToken);
            }
        }
        catch (SshDisconnectedException e)
        {
            var reason = $"the {side} disconnected: {e.Description}";
            await TellOtherSideAsync(fromClient, SshDisconnectReason.ByApplication, reason);
            return new RelayEnd(side, reason);
        }
        catch (SshProtocolException e) when (e.Reason == SshDisconnectReason.ConnectionLost)
        {
            var reason = $"the {side} closed the connection";
            await TellOtherSideAsync(fromClient, SshDisconnectReason.ByApplication, reason);
            return new RelayEnd(side, reason);
        }
        catch (SshProtocolException e)
        {
            await source.DisconnectAsync(e.Reason, e.Message);
            var reason = $"the {side} broke the protocol: {e.Message}";
            await TellOtherSideAsync(fromClient, SshDisconnectReason.ByApplication, fromClient ? "the client broke the protocol" : reason);
            return new RelayEnd(side, reason);
        }
        catch (Exception e) when (e is IOException or Core.Networking.ConnectionResetException)
        {
            var reason = $"the connection to the {side} failed: {e.Message}";
            await TellOtherSideAsync(fromClient, SshDisconnectReason.ConnectionLost, $"the connection to the {side} was lost");
            return new RelayEnd(side, reason);
        }
        catch (SessionEndedByPolicyException e)
        {
            await _client.DisconnectAsync(SshDisconnectReason.ByApplication, $"hoopproxy ended the session: {e.Message}");
            await _target.DisconnectAsync(SshDisconnectReason.ByApplication, "the client's session was ended by the proxy's policy");
            return new RelayEnd("proxy", $"ended by policy: {e.Message}");
        }
        catch (RecordingUnavailableException e)
        {
            const string reason = "the session recording failed; the proxy ends sessions it cannot record";
            await _client.DisconnectAsync(SshDisconnectReason.ByApplication, reason);
            await _target.DisconnectAsync(SshDisconnectReason.ByApplication, "the client's session ended");
            return new RelayEnd("proxy", $"{reason}: {e.Message}");
        }
    }

    private ValueTask TellOtherSideAsync(bool fromClient, SshDisconnectReason reason, string description) =>
        fromClient ? _target.DisconnectAsync(reason, description) : _client.DisconnectAsync(reason, $"the target ended the session: {description}");

    private async ValueTask DispatchAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        switch ((SshMessageNumber)payload[0])
        {
            case SshMessageNumber.ChannelData:
                await RelayDataAsync(payload, fromClient, ChannelData.HeaderLength, cancellationToken);
                break;
            case SshMessageNumber.ChannelExtendedData:
                await RelayDataAsync(payload, fromClient, ChannelExtendedData.HeaderLength, cancellationToken);
                break;
            case SshMessageNumber.ChannelWindowAdjust:
                await RelayWindowAdjustAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.ChannelEof:
                await RelayEofAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.ChannelClose:
                await RelayCloseAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.ChannelRequest:
                await RelayChannelRequestAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.ChannelSuccess or SshMessageNumber.ChannelFailure:
                await RelayChannelReplyAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.ChannelOpen:
                await OpenAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.ChannelOpenConfirmation:
                await ConfirmAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.ChannelOpenFailure:
                await OpenFailedAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.GlobalRequest:
                await AnswerGlobalRequestAsync(payload, fromClient, cancellationToken);
                break;
            case SshMessageNumber.RequestSuccess or SshMessageNumber.RequestFailure:
                // The proxy relays no global request, so no reply is owed; a stray one is harmless.
                break;
            case SshMessageNumber.ServiceRequest or SshMessageNumber.UserAuthRequest:
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"message {payload[0]} after authentication");
            default:
                // RFC 4253 §11.4: an unknown message is answered with UNIMPLEMENTED, and the connection goes on.
                var source = fromClient ? _client : _target;
                await source.SendAsync(MessageBytes.Of(new Unimplemented(source.LastReceivedSequence).WriteTo), cancellationToken);
                break;
        }
    }

    private async ValueTask RelayDataAsync(byte[] payload, bool fromClient, int headerLength, CancellationToken cancellationToken)
    {
        if (payload.Length < headerLength)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a channel data message shorter than its header");
        }

        var channel = Find(payload, fromClient);
        var length = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(headerLength - 4));
        if (length != payload.Length - headerLength)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a channel data message whose length field does not match it");
        }

        var left = fromClient ? Interlocked.Add(ref channel.ClientMaySend, -length) : Interlocked.Add(ref channel.TargetMaySend, -length);
        if (left < 0 || length > (fromClient ? channel.MaxPacketToTarget : channel.MaxPacketToClient))
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                $"channel {channel.Id}: {length} bytes of data exceed the window or the maximum packet size the peer was given");
        }

        // Recorded with the proxy's channel number (what arrived from the client, and from the target before rewriting).
        await _record.DataAsync(fromClient ? RecordDirection.ClientToServer : RecordDirection.ServerToClient, payload, cancellationToken);
        if (channel.Observer is { } observer && headerLength == ChannelData.HeaderLength)
        {
            await ObserveAsync(channel, observer, o => o.OnData(fromClient, payload.AsSpan(headerLength), _observations), cancellationToken);
        }

        await ForwardAsync(payload, channel, fromClient, cancellationToken);
    }

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
            catch (Exception e) when (e is RecordingUnavailableException or SessionEndedByPolicyException)
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

    private async ValueTask RelayWindowAdjustAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var adjust = ChannelWindowAdjust.Parse(payload);
        var channel = Find(payload, fromClient);
        if (fromClient)
        {
            Interlocked.Add(ref channel.TargetMaySend, adjust.BytesToAdd);
        }
        else
        {
            Interlocked.Add(ref channel.ClientMaySend, adjust.BytesToAdd);
        }

        await ForwardAsync(payload, channel, fromClient, cancellationToken);
    }

    private async ValueTask RelayEofAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        ChannelEof.Parse(payload);
        var channel = Find(payload, fromClient);
        await _record.EventAsync("channel-eof", new JsonObject { ["channel"] = channel.Id, ["from"] = Side(fromClient) }, cancellationToken);
        await ForwardAsync(payload, channel, fromClient, cancellationToken);
    }

    private async ValueTask RelayCloseAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        ChannelClose.Parse(payload);
        var channel = Find(payload, fromClient);
        await _record.EventAsync("channel-close", new JsonObject { ["channel"] = channel.Id, ["from"] = Side(fromClient) }, cancellationToken);
        await CloseObserverAsync(channel, cancellationToken);
        lock (_channels)
        {
            if (fromClient)
            {
                channel.ClientSentClose = true;
            }
            else
            {
                channel.TargetSentClose = true;
            }

            if (channel.IsFinished)
            {
                _channels.Remove(channel.Id);
            }
        }

        await ForwardAsync(payload, channel, fromClient, cancellationToken);
    }

    private async ValueTask RelayChannelRequestAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var request = ChannelRequest.Parse(payload);
        var channel = Find(payload, fromClient);
        var fields = ChannelRequestEvent.Describe(channel, request, fromClient);
        if (!fromClient)
        {
            await _record.EventAsync("channel-request", fields, cancellationToken);
            await ForwardAsync(payload, channel, fromClient, cancellationToken);
            return;
        }

        var refused = RefusedChannelRequests.Contains(request.RequestType);
        if (refused)
        {
            fields["refused"] = "not relayed by HoopProxy (agent and X11 forwarding are not allowed)";
        }
        else if (request.Is<ExecRequest>() && fields["command"]?.GetValue<string>() is { } command && _refuseExec(command) is { } reason)
        {
            // The target runs a stand-in that prints the refusal on stderr and exits 126 (the shell's "cannot execute"),
            // so the channel's replies, exit status and close come in the order the client expects.
            fields["refused"] = reason;
            payload = MessageBytes.Of(ChannelRequest.Create(channel.Id, request.WantReply, ExecRequest.FromText(BlockedCommand.StandIn(reason))).WriteTo);
        }

        await _record.EventAsync("channel-request", fields, cancellationToken);
        if (!refused)
        {
            Observe(channel, request);
        }

        await channel.ReplyLock.WaitAsync(cancellationToken);
        try
        {
            if (!refused)
            {
                await ForwardAsync(payload, channel, fromClient, cancellationToken);
            }

            if (request.WantReply)
            {
                await SendRepliesAsync(channel, channel.ClientRequestSent(relayed: !refused, localAnswer: false), cancellationToken);
            }
        }
        finally
        {
            channel.ReplyLock.Release();
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

    private async ValueTask RelayChannelReplyAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var channel = Find(payload, fromClient);
        if (fromClient)
        {
            // The client answers the target's requests (keepalive@openssh.com): the proxy adds none of its own.
            await ForwardAsync(payload, channel, fromClient, cancellationToken);
            return;
        }

        await channel.ReplyLock.WaitAsync(cancellationToken);
        try
        {
            var due = channel.TargetReplied(payload[0] == (byte)SshMessageNumber.ChannelSuccess)
                ?? throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"channel {channel.Id}: a reply to no request");
            await SendRepliesAsync(channel, due, cancellationToken);
        }
        finally
        {
            channel.ReplyLock.Release();
        }
    }

    private async ValueTask SendRepliesAsync(RelayedChannel channel, IReadOnlyList<bool> replies, CancellationToken cancellationToken)
    {
        foreach (var success in replies)
        {
            var reply = success
                ? MessageBytes.Of(new ChannelSuccess(channel.ClientId).WriteTo)
                : MessageBytes.Of(new ChannelFailure(channel.ClientId).WriteTo);
            await _client.SendAsync(reply, cancellationToken);
        }
    }

    private async ValueTask OpenAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var open = ChannelOpen.Parse(payload);
        var decision = fromClient ? _judgeOpen(open) : OpenDecision.Refuse("the proxy accepts no channels from the target (remote forwarding is not relayed yet)");
        var refusal = decision.Refusal;
        RelayedChannel? channel = null;
        if (refusal is null)
        {
            lock (_channels)
            {
                if (_channels.Count >= MaxChannels)
                {
                    refusal = $"too many open channels (the limit is {MaxChannels})";
                }
                else
                {
                    channel = new RelayedChannel(_nextChannel++, open.ChannelType, open.SenderChannel)
                    {
                        MaxPacketToClient = open.MaximumPacketSize,
                        TargetMaySend = open.InitialWindowSize,
                    };
                    _channels.Add(channel.Id, channel);
                }
            }
        }

        if (channel is null)
        {
            await _record.EventAsync("channel-refused",
                decision.Describe(new JsonObject { ["type"] = open.ChannelType, ["from"] = Side(fromClient), ["refused_by"] = "proxy", ["reason"] = refusal }),
                cancellationToken);
            var reason = refusal!.StartsWith("too many", StringComparison.Ordinal) ? ChannelOpenFailureReason.ResourceShortage
                : ChannelOpenFailureReason.AdministrativelyProhibited;
            var failure = MessageBytes.Of(new ChannelOpenFailure(open.SenderChannel, reason, refusal).WriteTo);
            await (fromClient ? _client : _target).SendAsync(failure, cancellationToken);
            return;
        }

        await _record.EventAsync("channel-open",
            decision.Describe(new JsonObject { ["channel"] = channel.Id, ["type"] = open.ChannelType, ["from"] = "client" }), cancellationToken);
        // Our number replaces the client's; the client's window and packet size go to the target unchanged.
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(payload.Length - open.TypeData.Length - 12), channel.Id);
        await _target.SendAsync(payload, cancellationToken);
    }

    private async ValueTask ConfirmAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var confirmation = ChannelOpenConfirmation.Parse(payload);
        var channel = fromClient ? null : FindUnconfirmed(confirmation.RecipientChannel);
        if (channel is null)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"a confirmation of channel {confirmation.RecipientChannel}, which was not being opened");
        }

        channel.TargetId = confirmation.SenderChannel;
        channel.MaxPacketToTarget = confirmation.MaximumPacketSize;
        Interlocked.Exchange(ref channel.ClientMaySend, confirmation.InitialWindowSize);
        channel.Confirmed = true;
        var forward = new ChannelOpenConfirmation(channel.ClientId, channel.Id, confirmation.InitialWindowSize, confirmation.MaximumPacketSize,
            confirmation.TypeData);
        await _client.SendAsync(MessageBytes.Of(forward.WriteTo), cancellationToken);
    }

    private async ValueTask OpenFailedAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var failure = ChannelOpenFailure.Parse(payload);
        var channel = fromClient ? null : FindUnconfirmed(failure.RecipientChannel);
        if (channel is null)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"an open failure for channel {failure.RecipientChannel}, which was not being opened");
        }

        lock (_channels)
        {
            _channels.Remove(channel.Id);
        }

        await _record.EventAsync("channel-refused", new JsonObject
        {
            ["channel"] = channel.Id, ["type"] = channel.Type, ["from"] = "client", ["refused_by"] = "target", ["reason"] = failure.Description,
        }, cancellationToken);
        await _client.SendAsync(MessageBytes.Of((failure with { RecipientChannel = channel.ClientId }).WriteTo), cancellationToken);
    }

    private async ValueTask AnswerGlobalRequestAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var request = GlobalRequest.Parse(payload);
        var source = fromClient ? _client : _target;
        // keepalive@openssh.com is answered by the proxy (any reply proves it alive, OpenSSH's own server sends FAILURE);
        // hostkeys-00@openssh.com from the target announces keys the client never sees. Forwarding comes with issue 7.
        if (request.RequestName is not ("keepalive@openssh.com" or "hostkeys-00@openssh.com" or "no-more-sessions@openssh.com"))
        {
            await _record.EventAsync("global-request", new JsonObject
            {
                ["request"] = request.RequestName, ["from"] = Side(fromClient), ["refused"] = "not relayed by this proxy yet",
            }, cancellationToken);
        }

        if (request.WantReply)
        {
            await source.SendAsync(new byte[] { (byte)SshMessageNumber.RequestFailure }, cancellationToken);
        }
    }

    /// <summary>Rewrites the recipient to the other peer's number for the channel, in place, and sends.</summary>
    private async ValueTask ForwardAsync(byte[] payload, RelayedChannel channel, bool fromClient, CancellationToken cancellationToken)
    {
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), fromClient ? channel.TargetId : channel.ClientId);
        await (fromClient ? _target : _client).SendAsync(payload, flush: false, cancellationToken);
    }

    private RelayedChannel Find(byte[] payload, bool fromClient)
    {
        if (payload.Length < 5)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"message {payload[0]} without a channel number");
        }

        var id = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(1));
        RelayedChannel? channel;
        lock (_channels)
        {
            _channels.TryGetValue(id, out channel);
        }

        if (channel is null || !channel.Confirmed || (fromClient ? channel.ClientSentClose : channel.TargetSentClose))
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                $"message {payload[0]} for channel {id}, which is {(channel is null ? "not open" : channel.Confirmed ? "closed by its sender" : "not confirmed yet")}");
        }

        return channel;
    }

    private RelayedChannel? FindUnconfirmed(uint id)
    {
        lock (_channels)
        {
            return _channels.TryGetValue(id, out var channel) && !channel.Confirmed ? channel : null;
        }
    }

    private static string Side(bool fromClient) => fromClient ? "client" : "server";
}
