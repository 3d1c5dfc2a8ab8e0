using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>
/// SSH_MSG_KEX_ECDH_REPLY (RFC 5656 §4, message 31): the server's host key blob K_S, its ephemeral value Q_S (for the
/// hybrid methods, the KEM ciphertext concatenated with an X25519 key) and its signature over the exchange hash.
/// </summary>
public sealed record KexEcdhReply(ReadOnlyMemory<byte> HostKey, ReadOnlyMemory<byte> ServerPublicKey, ReadOnlyMemory<byte> Signature)
{
    public const string Name = "SSH_MSG_KEX_ECDH_REPLY";

    public static KexEcdhReply Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.KexEcdhReply, Name);
        var message = new KexEcdhReply(reader.ReadString().ToArray(), reader.ReadString().ToArray(), reader.ReadString().ToArray());
        reader.ExpectEnd(Name);
        return message;
    }

    public void WriteTo(IBufferWriter<byte> output)
    {
        var writer = MessageCodec.Begin(output, SshMessageNumber.KexEcdhReply);
        writer.WriteString(HostKey.Span);
        writer.WriteString(ServerPublicKey.Span);
        writer.WriteString(Signature.Span);
    }

    public bool Equals(KexEcdhReply? other) =>
        other is not null
        && MessageCodec.SameBytes(HostKey, other.HostKey)
        && MessageCodec.SameBytes(ServerPublicKey, other.ServerPublicKey)
        && MessageCodec.SameBytes(Signature, other.Signature);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        MessageCodec.AddBytes(ref hash, HostKey);
        MessageCodec.AddBytes(ref hash, ServerPublicKey);
        MessageCodec.AddBytes(ref hash, Signature);
        return hash.ToHashCode();
    }
}
