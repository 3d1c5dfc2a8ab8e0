using System.Buffers.Binary;
using HoopProxy.Ssh.Connection.Messages;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// The client's global requests and the remote forwards (ssh -R) they set up. The proxy relays "tcpip-forward" and
/// "cancel-tcpip-forward" that policy allows and answers every other global request itself; replies reach the client
/// in the order of its requests. A "forwarded-tcpip" channel the target opens is accepted only for an address and
/// port the target was asked, by this client and with the policy's leave, to listen on.
/// </summary>
internal sealed class RemoteForwarding
{
    private readonly object _lock = new();
    private readonly OrderedReplies<byte[]> _replies = new();
    private readonly Queue<(GlobalRequest Request, string? Rule)> _relayed = new();
    private readonly Dictionary<(string Address, uint Port), string?> _listening = [];

    /// <summary>The reply payloads the client is owed now, in order, after a request of its own.</summary>
    /// <param name="rule">The rule that allowed a relayed tcpip-forward (recorded with each connection it brings).</param>
    public IReadOnlyList<byte[]> RequestSent(GlobalRequest request, bool relayed, bool success, string? rule = null)
    {
        lock (_lock)
        {
            if (relayed && request.WantReply)
            {
                _relayed.Enqueue((request, rule));
            }
            else if (relayed && request.RequestName == GlobalRequest.TcpipForwardName && request.ReadTcpipForward() is { BindPort: > 0 } listen)
            {
                // No reply will say whether the target listens; its channel opens for this address will tell.
                _listening[(listen.BindAddress, listen.BindPort)] = rule;
            }
            else if (relayed && request.RequestName == GlobalRequest.CancelTcpipForwardName)
            {
                // OpenSSH cancels without asking for a reply: from now on, connections to it are the client's no more.
                var cancelled = request.ReadTcpipForward();
                _listening.Remove((cancelled.BindAddress, cancelled.BindPort));
            }

            return request.WantReply ? _replies.RequestSent(relayed, Reply(success)) : [];
        }
    }

    /// <summary>
    /// The target answered the oldest relayed request: a granted forward starts (with the port the target chose when 0
    /// was asked for) or a cancelled one ends. Returns what the request was, the bound port, and the replies now due.
    /// </summary>
    public (GlobalRequest Request, uint? BoundPort, IReadOnlyList<byte[]> Due)? TargetReplied(byte[] reply)
    {
        lock (_lock)
        {
            if (!_relayed.TryDequeue(out var relayed) || _replies.Replied(reply) is not { } due)
            {
                return null;
            }

            var (request, rule) = relayed;
            var success = reply[0] == (byte)Transport.SshMessageNumber.RequestSuccess;
            var listen = request.ReadTcpipForward();
            uint? bound = null;
            if (success && request.RequestName == GlobalRequest.TcpipForwardName)
            {
                bound = listen.BindPort == 0 && reply.Length >= 5 ? BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(1)) : listen.BindPort;
                _listening[(listen.BindAddress, bound.Value)] = rule;
            }
            else if (success)
            {
                _listening.Remove((listen.BindAddress, listen.BindPort));
            }

            return (request, bound, due);
        }
    }

    /// <summary>Whether a forward on this address and port is in place (for a cancel, and for the target's channel opens).</summary>
    public bool IsListening(string address, uint port, out string? rule)
    {
        lock (_lock)
        {
            return _listening.TryGetValue((address, port), out rule);
        }
    }

    /// <summary>
    /// The forward a target's "forwarded-tcpip" open belongs to. OpenSSH's sshd names the address as the client asked
    /// for it, so the match is exact; a forward asked for with port 0 is known by the port the target chose.
    /// </summary>
    public bool Accepts(TcpipChannelData connected, out string? rule) => IsListening(connected.Host, connected.Port, out rule);

    private static byte[] Reply(bool success) =>
        [(byte)(success ? Transport.SshMessageNumber.RequestSuccess : Transport.SshMessageNumber.RequestFailure)];
}
