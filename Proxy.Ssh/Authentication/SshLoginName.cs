namespace HoopProxy.Ssh.Authentication;

/// <summary>
/// The SSH user name split into the proxy user and the target: <c>alice+web</c> is user alice on target web, plain
/// <c>alice</c> goes to the listener's default target. The plus sign works unquoted in every OpenSSH command line
/// (<c>ssh alice+web@proxy</c>, <c>scp f alice+web@proxy:/tmp</c>, <c>sftp alice+web@proxy</c>, <c>-l alice+web</c>),
/// where a colon would break scp's <c>host:path</c> and a second <c>@</c> confuses some clients. The last plus sign splits,
/// and only when what follows it is a configured target, so user names with a plus sign of their own still work.
/// </summary>
public readonly record struct SshLoginName(string User, string? Target)
{
    public const char Separator = '+';

    public static SshLoginName Parse(string loginName, Func<string, bool> isTarget)
    {
        ArgumentNullException.ThrowIfNull(loginName);
        ArgumentNullException.ThrowIfNull(isTarget);
        var split = loginName.LastIndexOf(Separator);
        if (split > 0 && split < loginName.Length - 1 && isTarget(loginName[(split + 1)..]))
        {
            return new SshLoginName(loginName[..split], loginName[(split + 1)..]);
        }

        return new SshLoginName(loginName, null);
    }
}
