using System.Buffers.Binary;
using System.Text.Json.Nodes;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Recording;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Session;

// Exec requests under the command policy: run, replaced by the blocking stand-in, or held for approval and released once decided.
public sealed partial class ConnectionRelay
{
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
        var decision = _approvals!.Effective(held.Request, await held.Decision);
        _approvals.Decided(held.Request, decision);
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
            or Core.Networking.ConnectionResetException or RecordingUnavailableException or Core.Audit.AuditUnavailableException)
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
}
