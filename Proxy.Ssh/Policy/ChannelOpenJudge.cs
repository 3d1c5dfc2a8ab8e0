using HoopProxy.Ssh.Authentication;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Session;

namespace HoopProxy.Ssh.Policy;

/// <summary>
/// Decides a client's CHANNEL_OPEN for one login: session channels always open; direct-tcpip (ssh -L, -D, -W, -J) opens
/// when a <see cref="ChannelPolicy"/> rule allows its destination, and is then connected from the target host's side by
/// the target's sshd; every other type is refused (remote forwarding, X11 and agent channels are not relayed).
/// </summary>
public sealed class ChannelOpenJudge(ChannelPolicy policy, SshClientLogin login)
{
    public OpenDecision Judge(ChannelOpen open)
    {
        ArgumentNullException.ThrowIfNull(open);
        switch (open.ChannelType)
        {
            case ChannelOpen.SessionType:
                return OpenDecision.Open;
            case ChannelOpen.DirectTcpipType:
                var destination = open.ReadTcpipData();
                var verdict = policy.Decide(new ChannelSubject(login.User.Name, login.User.Groups, login.Target.Name, ChannelPolicy.DirectTcpip,
                    destination.Host, destination.Port));
                return verdict.Action == ChannelAction.Allow
                    ? new OpenDecision(null, destination, verdict.Rule)
                    : OpenDecision.Refuse($"forwarding to {destination.Host}:{destination.Port} is not allowed: {verdict.Describe()}", destination, verdict.Rule);
            default:
                return OpenDecision.Refuse($"channel type \"{open.ChannelType}\" is not relayed by this proxy");
        }
    }

    /// <summary>Why an exec command line must not run (a Block rule, or a line that cannot be read while rules name programs), or null.</summary>
    public string? RefuseExec(string commandLine)
    {
        var verdict = policy.DecideExec(login.User.Name, login.User.Groups, login.Target.Name, commandLine);
        return verdict.Action == ChannelAction.Allow ? null : verdict.Describe();
    }

    /// <summary>Why a typed shell line ends the session (a Block rule matched it), or null: only Block acts on a typed line.</summary>
    public string? RefuseTypedLine(string line)
    {
        var verdict = policy.DecideTypedLine(login.User.Name, login.User.Groups, login.Target.Name, line);
        return verdict.Action == ChannelAction.Block ? $"the typed command line is blocked by {verdict.Describe()}" : null;
    }
}
