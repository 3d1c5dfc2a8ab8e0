using System.Buffers;
using System.Text;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>
/// SSH_MSG_EXT_INFO (RFC 8308 §2.3): extensions the sender announces after NEWKEYS (or, for a server, also before
/// USERAUTH_SUCCESS). Values are kept as the bytes sent; <see cref="ServerSigAlgs"/> reads the one most clients need.
/// </summary>
public sealed record ExtInfo(IReadOnlyList<ExtInfoExtension> Extensions)
{
    public const string Name = "SSH_MSG_EXT_INFO";

    /// <summary>RFC 8308 §3.1: the public key signature algorithms the server accepts in user authentication.</summary>
    public const string ServerSigAlgsName = "server-sig-algs";

    // A name (string) and a value (string) take at least eight bytes, which bounds the count before anything is allocated.
    private const int MinimumExtensionBytes = 8;

    public static ExtInfo Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ExtInfo, Name);
        var count = reader.ReadUInt32();
        if (count > (uint)(reader.Remaining / MinimumExtensionBytes))
        {
            throw new SshProtocolException(
                SshDisconnectReason.ProtocolError, $"{Name} announces {count} extensions but has only {reader.Remaining} bytes left");
        }

        var extensions = new ExtInfoExtension[count];
        for (var i = 0; i < extensions.Length; i++)
        {
            extensions[i] = new ExtInfoExtension(reader.ReadUtf8(), reader.ReadString().ToArray());
        }

        reader.ExpectEnd(Name);
        return new ExtInfo(extensions);
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.ExtInfo);
        writer.WriteUInt32((uint)Extensions.Count);
        foreach (var extension in Extensions)
        {
            writer.WriteUtf8(extension.Name);
            writer.WriteString(extension.Value.Span);
        }
    }

    /// <summary>The value of the first extension with this name.</summary>
    public bool TryGetValue(string name, out ReadOnlyMemory<byte> value)
    {
        foreach (var extension in Extensions)
        {
            if (extension.Name == name)
            {
                value = extension.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The "server-sig-algs" name-list, or null when the extension is absent; a malformed list is a protocol error.</summary>
    public IReadOnlyList<string>? ServerSigAlgs =>
        TryGetValue(ServerSigAlgsName, out var value) ? MessageCodec.ParseNameList(value.Span) : null;

    /// <summary>A "server-sig-algs" extension announcing these algorithms.</summary>
    public static ExtInfoExtension ServerSigAlgsExtension(IEnumerable<string> algorithms) =>
        new(ServerSigAlgsName, Encoding.ASCII.GetBytes(string.Join(',', algorithms)));

    public bool Equals(ExtInfo? other) => other is not null && Extensions.SequenceEqual(other.Extensions);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var extension in Extensions)
        {
            hash.Add(extension);
        }

        return hash.ToHashCode();
    }
}

/// <summary>One extension of SSH_MSG_EXT_INFO (RFC 8308 §2.3): a name and a value that is a string of bytes.</summary>
public sealed record ExtInfoExtension(string Name, ReadOnlyMemory<byte> Value)
{
    public bool Equals(ExtInfoExtension? other) => other is not null && Name == other.Name && MessageCodec.SameBytes(Value, other.Value);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        MessageCodec.AddBytes(ref hash, Value);
        return hash.ToHashCode();
    }
}
