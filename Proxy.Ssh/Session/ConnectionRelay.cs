using System.Buffers.Binary;
using System.Text.Json.Nodes;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Recording;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Policy;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Session;

/// <summary>How the relay ended: which side ended it and why, in words for the log, the record and the other peer.</summary>
public sealed record RelayEnd(string Side, string Reason);

/// <summary>
/// The connection protocol (RFC 4254) relayed between the client's transport and the target's: two pumps, one per
/// direction; the first to end ends the relay, and the other side is told with a DISCONNECT. Channels are relayed
/// message by message (channel numbers rewritten in place, windows passed through — see <see cref="RelayedChannel"/>);
/// every channel request is recorded as an event and channel data as data records. What a login may open, forward and
/// run is asked of its <see cref="IRelayPolicy"/>; what is refused is answered cleanly (CHANNEL_OPEN_FAILURE,
/// CHANNEL_FAILURE, REQUEST_FAILURE, a stand-in command) and recorded.
/// </summary>
public sealed class ConnectionRelay
{
    /// <summary>Open channels per connection; OpenSSH's server allows about as many sessions (MaxSessions 10) by default.</summary>
    public const int MaxChannels = 64;

    private readonly SshTransport _client;
    private readonly SshTransport _target;
    private readonly SshSessionRecord _record;
    private readonly Dictionary<uint, RelayedChannel> _channels = [];
    private uint _nextChannel;

    private readonly IRelayPolicy _policy;
    private readonly ChannelObservers? _observers;
    private readonly CommandApprovals? _approvals;
    private readonly RemoteForwarding _remoteForwarding = new();
    private readonly SemaphoreSlim _globalReplyLock = new(1, 1);
    private readonly List<Task> _heldCommands = [];

    // Set once the client's agent or X11 forwarding request was relayed: the target's agent or X11 channels are then accepted.
    private volatile bool _agentForwarding;
    private volatile bool _x11Forwarding;

    /// <param name="policy">What this login may open, forward and run.</param>
    /// <param name="observers">Chooses what watches sftp and shell channels (null: nothing does).</param>
    /// <param name="approvals">Where exec requests a Review rule holds are filed (null: they are refused).</param>
    public ConnectionRelay(SshTransport client, SshTransport target, SshSessionRecord record, IRelayPolicy policy,
        ChannelObservers? observers = null, CommandApprovals? approvals = null)
    {
        _client = client;
        _target = target;
        _record = record;
        _policy = policy;
        _observers = observers;
        _approvals = approvals;
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

        _approvals?.WithdrawAll($"the session ended: {end.Reason}");
        await Task.WhenAll(_heldCommands);
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
                await RelayGlobalReplyAsync(payload, fromClient, cancellationToken);
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
            // What refills the proxy's own reserve is the client's to keep: the target never learns of it.
            var toTarget = channel.RefillReserve(adjust.BytesToAdd);
            if (toTarget == 0)
            {
                return;
            }

            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(payload.Length - 4), toTarget);
            Interlocked.Add(ref channel.TargetMaySend, toTarget);
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
        if (channel.Observer is { } observer)
        {
            await ObserveAsync(channel, observer, o => o.OnEof(fromClient, _observations), cancellationToken);
        }

        await ForwardAsync(payload, channel, fromClient, cancellationToken);
    }

    private async ValueTask RelayCloseAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        ChannelClose.Parse(payload);
        var channel = Find(payload, fromClient);
        await _record.EventAsync("channel-close", new JsonObject { ["channel"] = channel.Id, ["from"] = Side(fromClient) }, cancellationToken);
        await CloseObserverAsync(channel, cancellationToken);
        if (fromClient && channel.HeldRequestId is { } held)
        {
            // The client gave up on the command it asked for: it must not run when someone approves it later.
            _approvals?.Withdraw(held, "the client closed the channel");
        }

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

        string? refused = null;
        HeldCommand? held = null;
        switch (request.RequestType)
        {
            case X11Request.Type:
                refused = _policy.RefuseKind(ChannelPolicy.X11);
                _x11Forwarding |= refused is null;
                break;
            case "auth-agent-req@openssh.com" or "auth-agent-req":
                refused = _policy.RefuseKind(ChannelPolicy.Agent);
                _agentForwarding |= refused is null;
                break;
            case SubsystemRequest.Type when fields["subsystem"]?.GetValue<string>() == "sftp":
                // scp (in its default mode) and sftp; scp -O runs "scp -t/-f" as an exec, judged as a command.
                refused = _policy.RefuseKind(ChannelPolicy.Sftp);
                break;
            case ExecRequest.Type when fields["command"]?.GetValue<string>() is { } command:
                (payload, held) = JudgeExec(channel, request, command, payload, fields);
                break;
        }

        if (refused is not null)
        {
            fields["refused"] = refused;
        }

        await _record.EventAsync("channel-request", fields, cancellationToken);
        if (refused is null)
        {
            Observe(channel, request);
        }

        await channel.ReplyLock.WaitAsync(cancellationToken);
        try
        {
            if (held is not null)
            {
                // Later messages on the channel wait behind the held request; it reaches the target once decided.
                lock (channel)
                {
                    channel.HeldForTarget = new Queue<byte[]>();
                    channel.HeldRequestId = held.Request.Id;
                }
            }
            else if (refused is null)
            {
                await ForwardAsync(payload, channel, fromClient, cancellationToken);
            }

            if (request.WantReply)
            {
                await SendRepliesAsync(channel, channel.ClientRequestReplies.RequestSent(relayed: refused is null, localAnswer: false), cancellationToken);
            }
        }
        finally
        {
            channel.ReplyLock.Release();
        }

        if (held is not null)
        {
            await HoldAsync(channel, held, cancellationToken);
        }
    }

    /// <summary>
    /// An exec request's fate under the policy: run as asked; replaced by a stand-in that prints the refusal on stderr
    /// and exits 126 (the shell's "cannot execute"), so the channel's replies, exit status and close come in the order
    /// the client expects; or held for approval (returned as a <see cref="HeldCommand"/>).
    /// </summary>
    private (byte[] Payload, HeldCommand? Held) JudgeExec(RelayedChannel channel, ChannelRequest request, string command, byte[] payload, JsonObject fields)
    {
        var judgement = _policy.JudgeExec(command);
        var refusal = judgement.Refusal;
        if (judgement.Review is { } rule)
        {
            if (_approvals?.ApprovedUntil(command) is { } until)
            {
                fields["approval"] = $"approved for this session until {until:O}";
                return (payload, null);
            }

            if (_approvals is not { HasBroker: true } approvals)
            {
                refusal = $"the command needs approval under rule \"{rule.Name}\", and no approval broker is running (configure the Admin section)";
            }
            else
            {
                var (filed, decision) = approvals.Submit(command, rule);
                fields["approval"] = filed.Id;
                return (payload, new HeldCommand(filed, decision, rule, request.WantReply, payload));
            }
        }

        if (refusal is null)
        {
            return (payload, null);
        }

        fields["refused"] = refusal;
        return (StandIn(channel, request.WantReply, refusal), null);
    }

    private static byte[] StandIn(RelayedChannel channel, bool wantReply, string refusal) =>
        MessageBytes.Of(ChannelRequest.Create(channel.Id, wantReply, ExecRequest.FromText(BlockedCommand.StandIn(refusal))).WriteTo);

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
            var due = channel.ClientRequestReplies.Replied(payload[0] == (byte)SshMessageNumber.ChannelSuccess)
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
        var decision = fromClient ? _policy.JudgeClientOpen(open) : JudgeTargetOpen(open);
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
                    channel = NewChannel(open, fromClient);
                    _channels.Add(channel.Id, channel);
                }
            }
        }

        var side = Side(fromClient);
        if (channel is null)
        {
            await _record.EventAsync("channel-refused",
                decision.Describe(new JsonObject { ["type"] = open.ChannelType, ["from"] = side, ["refused_by"] = "proxy", ["reason"] = refusal }),
                cancellationToken);
            var reason = refusal!.StartsWith("too many", StringComparison.Ordinal) ? ChannelOpenFailureReason.ResourceShortage
                : ChannelOpenFailureReason.AdministrativelyProhibited;
            var failure = MessageBytes.Of(new ChannelOpenFailure(open.SenderChannel, reason, refusal).WriteTo);
            await (fromClient ? _client : _target).SendAsync(failure, cancellationToken);
            return;
        }

        await _record.EventAsync("channel-open",
            decision.Describe(new JsonObject { ["channel"] = channel.Id, ["type"] = open.ChannelType, ["from"] = side }), cancellationToken);
        // Our number replaces the opener's; its window (less the proxy's reserve) and packet size go to the far side.
        var fixedFields = payload.AsSpan(payload.Length - open.TypeData.Length - 12);
        BinaryPrimitives.WriteUInt32BigEndian(fixedFields, channel.Id);
        BinaryPrimitives.WriteUInt32BigEndian(fixedFields[4..], (uint)(open.InitialWindowSize - channel.ProxyWindowReserve));
        await (fromClient ? _target : _client).SendAsync(payload, cancellationToken);
    }

    /// <summary>
    /// The channel for an open the policy allowed. A client's session channel keeps a little of the client's window
    /// back from the target, for the proxy's own messages on it.
    /// </summary>
    private RelayedChannel NewChannel(ChannelOpen open, bool fromClient)
    {
        var channel = new RelayedChannel(_nextChannel++, open.ChannelType, fromClient);
        if (!fromClient)
        {
            channel.TargetId = open.SenderChannel;
            channel.MaxPacketToTarget = open.MaximumPacketSize;
            channel.ClientMaySend = open.InitialWindowSize;
            return channel;
        }

        channel.ClientId = open.SenderChannel;
        channel.MaxPacketToClient = open.MaximumPacketSize;
        if (open.ChannelType == ChannelOpen.SessionType)
        {
            channel.ProxyWindowReserveCapacity = Math.Min(RelayedChannel.ProxyWindowReserveLimit, open.InitialWindowSize / 4);
            channel.ProxyWindowReserve = channel.ProxyWindowReserveCapacity;
        }

        channel.TargetMaySend = open.InitialWindowSize - channel.ProxyWindowReserve;
        return channel;
    }

    /// <summary>
    /// A channel the target opens toward the client: a connection to a remote forward this client set up, or an agent
    /// or X11 channel after the client's request for that forwarding was relayed. Anything else is refused.
    /// </summary>
    private OpenDecision JudgeTargetOpen(ChannelOpen open)
    {
        switch (open.ChannelType)
        {
            case ChannelOpen.ForwardedTcpipType:
                var connected = open.ReadTcpipData();
                return _remoteForwarding.Accepts(connected, out var rule)
                    ? new OpenDecision(null, connected, rule)
                    : OpenDecision.Refuse($"the client set up no remote forward on {connected.Host}:{connected.Port}", connected);
            case ChannelOpen.AuthAgentOpenSshType:
                return _agentForwarding ? OpenDecision.Open : OpenDecision.Refuse("the client's agent forwarding was not relayed");
            case ChannelOpen.X11Type:
                var x11 = open.ReadX11Data();
                return _x11Forwarding
                    ? new OpenDecision(null, new TcpipChannelData("", 0, x11.OriginatorAddress, x11.OriginatorPort))
                    : OpenDecision.Refuse("the client's X11 forwarding was not relayed");
            default:
                return OpenDecision.Refuse($"channel type \"{open.ChannelType}\" from the target is not relayed by this proxy");
        }
    }

    private async ValueTask ConfirmAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var confirmation = ChannelOpenConfirmation.Parse(payload);
        var channel = FindUnconfirmed(confirmation.RecipientChannel, openedByClient: !fromClient)
            ?? throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                $"a confirmation of channel {confirmation.RecipientChannel}, which was not being opened");
        uint openerId;
        if (fromClient)
        {
            channel.ClientId = confirmation.SenderChannel;
            channel.MaxPacketToClient = confirmation.MaximumPacketSize;
            Interlocked.Exchange(ref channel.TargetMaySend, confirmation.InitialWindowSize);
            openerId = channel.TargetId;
        }
        else
        {
            channel.TargetId = confirmation.SenderChannel;
            channel.MaxPacketToTarget = confirmation.MaximumPacketSize;
            Interlocked.Exchange(ref channel.ClientMaySend, confirmation.InitialWindowSize);
            openerId = channel.ClientId;
        }

        channel.Confirmed = true;
        var forward = new ChannelOpenConfirmation(openerId, channel.Id, confirmation.InitialWindowSize, confirmation.MaximumPacketSize,
            confirmation.TypeData);
        await (fromClient ? _target : _client).SendAsync(MessageBytes.Of(forward.WriteTo), cancellationToken);
    }

    private async ValueTask OpenFailedAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var failure = ChannelOpenFailure.Parse(payload);
        var channel = FindUnconfirmed(failure.RecipientChannel, openedByClient: !fromClient)
            ?? throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                $"an open failure for channel {failure.RecipientChannel}, which was not being opened");
        lock (_channels)
        {
            _channels.Remove(channel.Id);
        }

        await _record.EventAsync("channel-refused", new JsonObject
        {
            ["channel"] = channel.Id, ["type"] = channel.Type, ["from"] = Side(!fromClient), ["refused_by"] = fromClient ? "client" : "target",
            ["reason"] = failure.Description,
        }, cancellationToken);
        var opener = fromClient ? channel.TargetId : channel.ClientId;
        await (fromClient ? _target : _client).SendAsync(MessageBytes.Of((failure with { RecipientChannel = opener }).WriteTo), cancellationToken);
    }

    /// <summary>
    /// A global request. From the client, "tcpip-forward" (ssh -R) and its cancel are relayed when the policy allows the
    /// listening address; the proxy answers the rest itself. The target's own requests are the proxy's to answer:
    /// keepalive@openssh.com (any reply proves it alive; OpenSSH's server sends FAILURE too) and hostkeys-00@openssh.com,
    /// which announces keys the client never sees.
    /// </summary>
    private async ValueTask AnswerGlobalRequestAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        var request = GlobalRequest.Parse(payload);
        if (fromClient && request.RequestName is GlobalRequest.TcpipForwardName or GlobalRequest.CancelTcpipForwardName)
        {
            await RelayForwardRequestAsync(payload, request, cancellationToken);
            return;
        }

        if (request.RequestName is not (GlobalRequest.KeepAliveOpenSshName or GlobalRequest.HostKeysOpenSshName or GlobalRequest.NoMoreSessionsOpenSshName))
        {
            await _record.EventAsync("global-request", new JsonObject
            {
                ["request"] = request.RequestName, ["from"] = Side(fromClient), ["refused"] = "not relayed by this proxy",
            }, cancellationToken);
        }

        if (!fromClient)
        {
            if (request.WantReply)
            {
                await _target.SendAsync(new byte[] { (byte)SshMessageNumber.RequestFailure }, cancellationToken);
            }

            return;
        }

        await SendGlobalRepliesAsync(request, relayed: false, success: false, rule: null, payload: null, cancellationToken);
    }

    private async ValueTask RelayForwardRequestAsync(byte[] payload, GlobalRequest request, CancellationToken cancellationToken)
    {
        var listen = request.ReadTcpipForward();
        var fields = new JsonObject
        {
            ["request"] = request.RequestName, ["from"] = "client", ["address"] = listen.BindAddress, ["port"] = listen.BindPort,
        };
        string? refusal;
        string? rule = null;
        if (request.RequestName == GlobalRequest.TcpipForwardName)
        {
            var decision = _policy.JudgeRemoteForward(listen);
            refusal = decision.Refusal;
            rule = decision.Rule;
        }
        else
        {
            refusal = _remoteForwarding.IsListening(listen.BindAddress, listen.BindPort, out _) ? null
                : $"no remote forward on {listen.BindAddress}:{listen.BindPort} to cancel";
        }

        if (rule is not null)
        {
            fields["rule"] = rule;
        }

        if (refusal is not null)
        {
            fields["refused"] = refusal;
        }

        await _record.EventAsync("global-request", fields, cancellationToken);
        await SendGlobalRepliesAsync(request, relayed: refusal is null, success: false, rule, refusal is null ? payload : null, cancellationToken);
    }

    /// <summary>Relays the request (when <paramref name="payload"/> is given) and sends the client the replies now due, in order.</summary>
    private async ValueTask SendGlobalRepliesAsync(GlobalRequest request, bool relayed, bool success, string? rule, byte[]? payload,
        CancellationToken cancellationToken)
    {
        await _globalReplyLock.WaitAsync(cancellationToken);
        try
        {
            if (payload is not null)
            {
                await _target.SendAsync(payload, flush: false, cancellationToken);
            }

            foreach (var reply in _remoteForwarding.RequestSent(request, relayed, success, rule))
            {
                await _client.SendAsync(reply, cancellationToken);
            }
        }
        finally
        {
            _globalReplyLock.Release();
        }
    }

    /// <summary>The target's answer to a relayed tcpip-forward or cancel: recorded, and passed on in the client's order.</summary>
    private async ValueTask RelayGlobalReplyAsync(byte[] payload, bool fromClient, CancellationToken cancellationToken)
    {
        if (fromClient)
        {
            // The proxy answers the target's global requests itself, so no client reply is owed to anyone.
            return;
        }

        await _globalReplyLock.WaitAsync(cancellationToken);
        try
        {
            var (request, bound, due) = _remoteForwarding.TargetReplied(payload)
                ?? throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a global request reply to no request");
            var listen = request.ReadTcpipForward();
            var fields = new JsonObject
            {
                ["request"] = request.RequestName, ["address"] = listen.BindAddress, ["port"] = listen.BindPort,
                ["success"] = payload[0] == (byte)SshMessageNumber.RequestSuccess,
            };
            if (bound is { } port && port != listen.BindPort)
            {
                fields["bound_port"] = port;
            }

            await _record.EventAsync("global-reply", fields, cancellationToken);
            foreach (var reply in due)
            {
                await _client.SendAsync(reply, flush: false, cancellationToken);
            }
        }
        finally
        {
            _globalReplyLock.Release();
        }
    }

    /// <summary>Rewrites the recipient to the other peer's number for the channel, in place, and sends.</summary>
    private async ValueTask ForwardAsync(byte[] payload, RelayedChannel channel, bool fromClient, CancellationToken cancellationToken)
    {
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), fromClient ? channel.TargetId : channel.ClientId);
        if (fromClient && channel.HeldForTarget is not null)
        {
            lock (channel)
            {
                if (channel.HeldForTarget is { } held)
                {
                    held.Enqueue(payload);
                    return;
                }
            }
        }

        await (fromClient ? _target : _client).SendAsync(payload, flush: false, cancellationToken);
    }

    /// <summary>
    /// Files a held exec request's wait: the client hears on stderr that it waits and who can approve; once decided,
    /// the request (or a stand-in that prints why it will not run) goes to the target, followed by whatever the client
    /// sent on the channel meanwhile. The pumps go on meanwhile; the session's other channels are not held.
    /// </summary>
    private async ValueTask HoldAsync(RelayedChannel channel, HeldCommand held, CancellationToken cancellationToken)
    {
        var request = held.Request;
        await _record.EventAsync("approval", held.Describe(channel, "requested", null), cancellationToken);
        await TellClientAsync(channel, $"hoopproxy: command held for approval: request {request.Id} under rule \"{held.Rule.Name}\"; " +
            $"an approver ({string.Join(", ", held.Rule.Approvers)}) can run: hoopproxy approvals approve {request.Id} --config <proxy config>; " +
            $"waiting until {request.ExpiresAt:HH:mm:ss} UTC\n", cancellationToken);
        lock (_heldCommands)
        {
            _heldCommands.Add(ReleaseWhenDecidedAsync(channel, held));
        }
    }

    private async Task ReleaseWhenDecidedAsync(RelayedChannel channel, HeldCommand held)
    {
        var decision = await held.Decision;
        _approvals!.Decided(held.Request, decision);
        try
        {
            await _record.EventAsync("approval", held.Describe(channel, decision.Outcome.ToString().ToLowerInvariant(), decision));
            var payload = decision.Outcome == ApprovalOutcome.Approved
                ? held.ExecPayload
                : StandIn(channel, held.WantReply, held.Refusal(decision));
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), channel.TargetId);
            await _target.SendAsync(payload, flush: false, CancellationToken.None);
            while (true)
            {
                byte[][] waiting;
                lock (channel)
                {
                    if (channel.HeldForTarget!.Count == 0)
                    {
                        channel.HeldForTarget = null;
                        channel.HeldRequestId = null;
                        break;
                    }

                    waiting = [.. channel.HeldForTarget];
                    channel.HeldForTarget.Clear();
                }

                foreach (var message in waiting)
                {
                    await _target.SendAsync(message, flush: false, CancellationToken.None);
                }
            }

            await _target.FlushAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SshProtocolException or ObjectDisposedException or OperationCanceledException
            or Core.Networking.ConnectionResetException or RecordingUnavailableException)
        {
            // The session is ending (the relay's pumps report why); a recording that failed ends it here too.
            await _client.DisconnectAsync(SshDisconnectReason.ByApplication, "the session ended while a command waited for approval");
        }
    }

    /// <summary>
    /// A line of the proxy's own on the channel's stderr, paid for from the reserve kept back from the target's window
    /// (so the client's window stays exact); when the reserve is spent, the line is left out (the record has it all).
    /// </summary>
    private async ValueTask TellClientAsync(RelayedChannel channel, string line, CancellationToken cancellationToken)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(line);
        if (text.Length > channel.MaxPacketToClient || !channel.TryTakeReserve(text.Length))
        {
            return;
        }

        await _client.SendAsync(MessageBytes.Of(new ChannelExtendedData(channel.ClientId, ExtendedDataType.Stderr, text).WriteTo), cancellationToken);
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

    private RelayedChannel? FindUnconfirmed(uint id, bool openedByClient)
    {
        lock (_channels)
        {
            return _channels.TryGetValue(id, out var channel) && !channel.Confirmed && channel.OpenedByClient == openedByClient ? channel : null;
        }
    }

    private static string Side(bool fromClient) => fromClient ? "client" : "server";
}
