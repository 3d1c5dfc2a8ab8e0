using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>
/// SSH_MSG_KEX_ECDH_INIT (RFC 5656 §4, message 30): the client's ephemeral public value Q_C. The same message carries
/// curve25519-sha256 (RFC 8731), ecdh-sha2-nistp256, and the hybrid sntrup761x25519-sha512 and mlkem768x25519-sha256
/// methods, whose C_INIT is a KEM public key concatenated with an X25519 key.
/// </summary>
public sealed record KexEcdhInit(ReadOnlyMemory<byte> ClientPublicKey)
{
    public const string Name = "SSH_MSG_KEX_ECDH_INIT";

    public static KexEcdhInit Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.KexEcdhInit, Name);
        var message = new KexEcdhInit(reader.ReadString().ToArray());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output) =>
        MessageCodec.Begin(output, SshMessageNumber.KexEcdhInit).WriteString(ClientPublicKey.Span);

    public bool Equals(KexEcdhInit? other) => other is not null && MessageCodec.SameBytes(ClientPublicKey, other.ClientPublicKey);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        MessageCodec.AddBytes(ref hash, ClientPublicKey);
        return hash.ToHashCode();
    }
}
