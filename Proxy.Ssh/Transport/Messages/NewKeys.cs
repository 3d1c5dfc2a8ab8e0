using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>SSH_MSG_NEWKEYS (RFC 4253 §7.3): from the next packet on, the sender uses the new keys.</summary>
public readonly record struct NewKeys
{
    public const string Name = "SSH_MSG_NEWKEYS";

    public static NewKeys Parse(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.NewKeys, Name);
        reader.ExpectEnd(Name);
        return default;
    }

    public void WriteTo(IBufferWriter<byte> output) => MessageCodec.Begin(output, SshMessageNumber.NewKeys);
}
