using HoopProxy.Ssh.Authentication;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Session;

namespace HoopProxy.Ssh.Policy;

/// <summary>
/// Applies the <see cref="ChannelPolicy"/> to one login: session channels always open; direct-tcpip (ssh -L, -D, -W,
/// -J) and tcpip-forward (ssh -R) need a rule allowing the destination or listening address; agent and X11 forwarding
/// need a rule; exec command lines run unless a rule blocks them or holds them for review; typed shell lines end the
/// session when a Block rule matches them.
/// </summary>
public sealed class LoginPolicy(ChannelPolicy policy, SshClientLogin login) : IRelayPolicy
{
    public OpenDecision JudgeClientOpen(ChannelOpen open)
    {
        ArgumentNullException.ThrowIfNull(open);
        switch (open.ChannelType)
        {
            case ChannelOpen.SessionType:
                return OpenDecision.Open;
            case ChannelOpen.DirectTcpipType:
                var destination = open.ReadTcpipData();
                var verdict = Decide(ChannelPolicy.DirectTcpip, destination.Host, destination.Port);
                return verdict.Action == ChannelAction.Allow
                    ? new OpenDecision(null, destination, verdict.Rule)
                    : OpenDecision.Refuse($"forwarding to {destination.Host}:{destination.Port} is not allowed: {verdict.Describe()}", destination, verdict.Rule);
            default:
                return OpenDecision.Refuse($"channel type \"{open.ChannelType}\" is not relayed by this proxy");
        }
    }

    public OpenDecision JudgeRemoteForward(TcpipForwardData listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var verdict = Decide(ChannelPolicy.TcpipForward, listen.BindAddress, listen.BindPort);
        var where = new TcpipChannelData(listen.BindAddress, listen.BindPort, "", 0);
        return verdict.Action == ChannelAction.Allow
            ? new OpenDecision(null, where, verdict.Rule)
            : OpenDecision.Refuse($"remote forwarding from {listen.BindAddress}:{listen.BindPort} is not allowed: {verdict.Describe()}", where, verdict.Rule);
    }

    public string? RefuseKind(string kind)
    {
        var verdict = Decide(kind, null, null);
        if (verdict.Action == ChannelAction.Allow)
        {
            return null;
        }

        var what = kind switch
        {
            ChannelPolicy.Agent => "agent forwarding",
            ChannelPolicy.X11 => "X11 forwarding",
            ChannelPolicy.Sftp => "the sftp subsystem",
            _ => kind,
        };
        return $"{what} is not allowed: {verdict.Describe()}";
    }

    public ExecJudgement JudgeExec(string commandLine)
    {
        var verdict = policy.DecideExec(login.User.Name, login.User.Groups, login.Target.Name, commandLine);
        return verdict.Action switch
        {
            ChannelAction.Allow => ExecJudgement.Run,
            ChannelAction.Review => new ExecJudgement(null, policy.RuleNamed(verdict.Rule)),
            _ => new ExecJudgement(verdict.Describe()),
        };
    }

    /// <summary>Why a typed shell line ends the session (a Block rule matched it), or null: only Block acts on a typed line.</summary>
    public string? RefuseTypedLine(string line)
    {
        var verdict = policy.DecideTypedLine(login.User.Name, login.User.Groups, login.Target.Name, line);
        return verdict.Action == ChannelAction.Block ? $"the typed command line is blocked by {verdict.Describe()}" : null;
    }

    private ChannelVerdict Decide(string kind, string? host, uint? port) =>
        policy.Decide(new ChannelSubject(login.User.Name, login.User.Groups, login.Target.Name, kind, host, port));
}
