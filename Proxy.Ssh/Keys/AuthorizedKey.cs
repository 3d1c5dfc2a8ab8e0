namespace HoopProxy.Ssh.Keys;

/// <summary>
/// One line of an <c>authorized_keys</c> file or a <c>.pub</c> file: <c>key-type base64-blob [comment]</c>.
/// </summary>
/// <remarks>
/// Options before the key type (<c>command="…"</c>, <c>from="…"</c>, <c>restrict</c>, <c>no-pty</c> …) are
/// <b>refused</b>, not ignored: each of them narrows what the key may do, so silently dropping one would grant the
/// key more than the file's author wrote. A line with options fails with a message that says so; the operator can
/// express such limits in the proxy's own policy instead. Malformed lines throw <see cref="FormatException"/> — this
/// is local configuration, not peer data.
/// </remarks>
public sealed record AuthorizedKey(SshPublicKey Key, string Comment)
{
    /// <summary>Reads one line (no leading options). The blob's own type must match the type the line names.</summary>
    public static AuthorizedKey Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = line.Trim().Split((char[])[' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0)
        {
            throw new FormatException("an empty line holds no public key");
        }

        var type = fields[0];
        if (!SshKeyAlgorithms.IsSupportedKeyType(type))
        {
            throw new FormatException(LooksLikeOptions(type)
                ? "authorized_keys options before the key type (command=, from=, restrict …) are not supported; remove them and express the limit in the proxy's policy"
                : $"unsupported public key type '{Shorten(type)}' (supported: {string.Join(", ", SshKeyAlgorithms.KeyTypes)})");
        }

        if (fields.Length < 2)
        {
            throw new FormatException($"a {type} line has no key data after the type");
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(fields[1]);
        }
        catch (FormatException e)
        {
            throw new FormatException($"the {type} key data is not valid base64", e);
        }

        SshPublicKey key;
        try
        {
            key = SshPublicKey.ParseBlob(blob);
        }
        catch (SshProtocolException e)
        {
            throw new FormatException($"the {type} key data is not a valid key: {e.Message}", e);
        }

        if (key.KeyType != type)
        {
            throw new FormatException($"the line names {type} but its key data is a {key.KeyType} key");
        }

        return new AuthorizedKey(key, fields.Length > 2 ? fields[2].Trim() : "");
    }

    /// <summary>
    /// Reads a whole file's text: blank lines and <c>#</c> comments are skipped; the first bad line fails with its
    /// line number (one bad line must not silently drop the rest of a user's keys, nor be half-accepted).
    /// </summary>
    public static IReadOnlyList<AuthorizedKey> ParseLines(string text)
    {
        var keys = new List<AuthorizedKey>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            try
            {
                keys.Add(Parse(line));
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {number}: {e.Message}", e);
            }
        }

        return keys;
    }

    public override string ToString() => Key.ToOpenSshLine(Comment);

    /// <summary>
    /// Whether the first field is an options list rather than a key type: options are comma-separated, carry values
    /// after <c>=</c>, or are one of OpenSSH's flag options (sshd(8), AUTHORIZED_KEYS FILE FORMAT).
    /// </summary>
    private static bool LooksLikeOptions(string firstField) =>
        firstField.Contains('=') || firstField.Contains(',') || firstField.Contains('"')
        || FlagOptions.Contains(firstField, StringComparer.OrdinalIgnoreCase);

    private static readonly string[] FlagOptions =
    [
        "agent-forwarding", "cert-authority", "no-agent-forwarding", "no-port-forwarding", "no-pty", "no-user-rc",
        "no-x11-forwarding", "port-forwarding", "pty", "no-touch-required", "restrict", "user-rc", "verify-required",
        "x11-forwarding",
    ];

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "…" : text;
}
