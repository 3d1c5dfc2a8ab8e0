using System.Buffers;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Authentication.Messages;

/// <summary>
/// SSH_MSG_USERAUTH_PK_OK (RFC 4252 §7, message 60): the key named in an unsigned "publickey" request would be accepted;
/// echoes its algorithm and blob.
/// </summary>
public sealed record UserAuthPublicKeyOk(string Algorithm, ReadOnlyMemory<byte> PublicKey)
{
    public const string Name = "SSH_MSG_USERAUTH_PK_OK";

    public static UserAuthPublicKeyOk Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.UserAuthPublicKeyOk, Name);
        var message = new UserAuthPublicKeyOk(reader.ReadUtf8(), reader.ReadString().ToArray());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.UserAuthPublicKeyOk);
        writer.WriteUtf8(Algorithm);
        writer.WriteString(PublicKey.Span);
    }

    public bool Equals(UserAuthPublicKeyOk? other) =>
        other is not null && Algorithm == other.Algorithm && MessageCodec.SameBytes(PublicKey, other.PublicKey);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm);
        MessageCodec.AddBytes(ref hash, PublicKey);
        return hash.ToHashCode();
    }
}
