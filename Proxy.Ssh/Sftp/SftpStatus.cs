namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// The error codes of an SSH_FXP_STATUS answer (draft-ietf-secsh-filexfer-02 §7), as the <c>status</c> field of an
/// sftp event spells them.
/// </summary>
internal static class SftpStatus
{
    public const uint Ok = 0;
    public const uint Eof = 1;

    public static string Name(uint code) => code switch
    {
        Ok => "ok",
        Eof => "eof",
        2 => "no-such-file",
        3 => "permission-denied",
        4 => "failure",
        5 => "bad-message",
        6 => "no-connection",
        7 => "connection-lost",
        8 => "op-unsupported",
        // Later drafts define more codes; a version 3 server should not send them, so they are named by number.
        _ => "status-" + code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
