using System.Buffers.Binary;
using System.Text.Json.Nodes;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Session;

// Channel opens from either side: judged, numbered by the proxy, passed on, confirmed or refused.
public sealed partial class ConnectionRelay
{
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
}
