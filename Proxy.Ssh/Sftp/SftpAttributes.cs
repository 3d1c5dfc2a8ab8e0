using System.Globalization;
using System.Text.Json.Nodes;

namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// The ATTRS of an open, mkdir, setstat or fsetstat request (draft-ietf-secsh-filexfer-02 §5): what the client asks to
/// set. Only the fields its flags name are present.
/// </summary>
internal readonly record struct SftpAttributes(
    uint Flags, ulong Size, uint Uid, uint Gid, uint Permissions, uint AccessTime, uint ModifyTime, IReadOnlyList<string>? Extended)
{
    public const uint SizeFlag = 0x1;
    public const uint UidGidFlag = 0x2;
    public const uint PermissionsFlag = 0x4;
    public const uint TimesFlag = 0x8;
    public const uint ExtendedFlag = 0x8000_0000;

    public bool HasSize => (Flags & SizeFlag) != 0;

    /// <summary>
    /// The <c>attributes</c> field of an event: <c>size</c>, <c>uid</c>, <c>gid</c>, <c>mode</c> (octal, as chmod
    /// takes it), <c>atime</c> and <c>mtime</c> (UTC, ISO 8601), <c>extended</c> (the names); null when nothing is set.
    /// </summary>
    public JsonObject? ToJson()
    {
        if (Flags == 0)
        {
            return null;
        }

        var fields = new JsonObject();
        if (HasSize)
        {
            fields["size"] = Size;
        }

        if ((Flags & UidGidFlag) != 0)
        {
            fields["uid"] = Uid;
            fields["gid"] = Gid;
        }

        if ((Flags & PermissionsFlag) != 0)
        {
            fields["mode"] = Mode(Permissions);
        }

        if ((Flags & TimesFlag) != 0)
        {
            fields["atime"] = Time(AccessTime);
            fields["mtime"] = Time(ModifyTime);
        }

        if (Extended is { Count: > 0 })
        {
            fields["extended"] = new JsonArray([.. Extended.Select(name => JsonValue.Create(name))]);
        }

        return fields;
    }

    /// <summary>Permissions in octal with a leading zero (<c>0644</c>); file type bits, when sent, stay in (<c>0100644</c>).</summary>
    public static string Mode(uint permissions) => "0" + Convert.ToString(permissions, 8).PadLeft(3, '0');

    private static string Time(uint secondsSinceEpoch) =>
        DateTimeOffset.FromUnixTimeSeconds(secondsSinceEpoch).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
