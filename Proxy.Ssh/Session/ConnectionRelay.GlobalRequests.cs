using System.Text.Json.Nodes;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Session;

// Global requests: remote forwarding (ssh -R) relayed under the policy, every other request answered by the proxy.
public sealed partial class ConnectionRelay
{
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
}
