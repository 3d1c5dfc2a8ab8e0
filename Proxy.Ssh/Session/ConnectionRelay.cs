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
public sealed partial class ConnectionRelay
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
        catch (Core.Audit.AuditUnavailableException e)
        {
            const string reason = "the audit log failed; the proxy ends sessions it cannot audit";
            await _client.DisconnectAsync(SshDisconnectReason.ByApplication, reason);
            await _target.DisconnectAsync(SshDisconnectReason.ByApplication, "the client's session ended");
            return new RelayEnd("proxy", $"{reason}: {e.Message}");
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
