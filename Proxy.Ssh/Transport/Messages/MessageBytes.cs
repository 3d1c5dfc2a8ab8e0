using System.Buffers;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>A message encoded into its own array, for <see cref="SshTransport.SendAsync"/> on paths that are not per-packet.</summary>
public static class MessageBytes
{
    public static byte[] Of(Action<IBufferWriter<byte>> writeTo)
    {
        ArgumentNullException.ThrowIfNull(writeTo);
        var buffer = new ArrayBufferWriter<byte>(64);
        writeTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
