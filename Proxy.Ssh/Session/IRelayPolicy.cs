using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Policy;

namespace HoopProxy.Ssh.Session;

/// <summary>What one login may do through the relay: the <c>SshPolicies</c> rules applied to its user, groups and target.</summary>
public interface IRelayPolicy
{
    /// <summary>A channel the client opens: sessions always; direct-tcpip by its destination; nothing else.</summary>
    OpenDecision JudgeClientOpen(ChannelOpen open);

    /// <summary>A "tcpip-forward" request (ssh -R): whether the target may listen on that address and port for the client.</summary>
    OpenDecision JudgeRemoteForward(TcpipForwardData listen);

    /// <summary>
    /// Why agent or X11 forwarding or the sftp subsystem (<see cref="ChannelPolicy.Agent"/>, <see cref="ChannelPolicy.X11"/>,
    /// <see cref="ChannelPolicy.Sftp"/>) is refused, or null.
    /// </summary>
    string? RefuseKind(string kind);

    /// <summary>What happens to an exec request's command line before it runs.</summary>
    ExecJudgement JudgeExec(string commandLine);
}

/// <summary>An exec request's fate: blocked with <see cref="Refusal"/>, held under the Review rule <see cref="Review"/>, or run.</summary>
public sealed record ExecJudgement(string? Refusal, ChannelRule? Review = null)
{
    public static ExecJudgement Run { get; } = new((string?)null);
}
