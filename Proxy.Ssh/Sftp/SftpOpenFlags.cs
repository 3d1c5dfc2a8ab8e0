namespace HoopProxy.Ssh.Sftp;

/// <summary>The <c>pflags</c> of SSH_FXP_OPEN (draft-ietf-secsh-filexfer-02 §6.3).</summary>
[Flags]
internal enum SftpOpenFlags : uint
{
    None = 0,
    Read = 0x01,
    Write = 0x02,
    Append = 0x04,
    Create = 0x08,
    Truncate = 0x10,
    Exclusive = 0x20,
}

internal static class SftpOpenFlagsExtensions
{
    private static readonly (SftpOpenFlags Flag, string Name)[] Names =
    [
        (SftpOpenFlags.Read, "read"),
        (SftpOpenFlags.Write, "write"),
        (SftpOpenFlags.Append, "append"),
        (SftpOpenFlags.Create, "create"),
        (SftpOpenFlags.Truncate, "truncate"),
        (SftpOpenFlags.Exclusive, "excl"),
    ];

    /// <summary>The flags as the <c>flags</c> field of an event lists them; bits the draft does not define are given in hex.</summary>
    public static List<string> ToNames(this SftpOpenFlags flags)
    {
        var names = new List<string>();
        foreach (var (flag, name) in Names)
        {
            if (flags.HasFlag(flag))
            {
                names.Add(name);
                flags &= ~flag;
            }
        }

        if (flags != SftpOpenFlags.None)
        {
            names.Add("0x" + ((uint)flags).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }

        return names;
    }

    /// <summary>
    /// Whether what is written through the handle is the whole file: it was emptied on open (truncate), or it is new
    /// (create with excl). Without either, the file may keep bytes beyond those written.
    /// </summary>
    public static bool StartsEmpty(this SftpOpenFlags flags) =>
        flags.HasFlag(SftpOpenFlags.Truncate) || flags.HasFlag(SftpOpenFlags.Create | SftpOpenFlags.Exclusive);
}
