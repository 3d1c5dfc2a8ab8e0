using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Transport.Messages;

/// <summary>
/// What every message type shares: checking the message number before a field is read, starting an encoding with it,
/// and value equality for binary fields (a record compares <see cref="ReadOnlyMemory{T}"/> by reference, not content).
/// </summary>
internal static class MessageCodec
{
    /// <summary>A reader positioned after the message number, which must be <paramref name="expected"/>.</summary>
    public static SshReader Open(ReadOnlySpan<byte> payload, SshMessageNumber expected, string name)
    {
        if (payload.IsEmpty)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"expected {name} but the payload is empty");
        }

        if (payload[0] != (byte)expected)
        {
            throw new SshProtocolException(
                SshDisconnectReason.ProtocolError, $"expected {name} (message number {(byte)expected}) but got message number {payload[0]}");
        }

        var reader = new SshReader(payload);
        reader.ReadByte();
        return reader;
    }

    /// <summary>A writer that has written the message number.</summary>
    public static SshWriter Begin(IBufferWriter<byte> output, SshMessageNumber number)
    {
        ArgumentNullException.ThrowIfNull(output);
        var writer = new SshWriter(output);
        writer.WriteByte((byte)number);
        return writer;
    }

    public static bool SameBytes(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b) => a.Span.SequenceEqual(b.Span);

    public static bool SameBytes(ReadOnlyMemory<byte>? a, ReadOnlyMemory<byte>? b) =>
        a.HasValue == b.HasValue && (!a.HasValue || a.Value.Span.SequenceEqual(b!.Value.Span));

    public static void AddBytes(ref HashCode hash, ReadOnlyMemory<byte> bytes) => hash.AddBytes(bytes.Span);

    /// <summary>
    /// The contents of a <c>name-list</c> already taken out of its string (an EXT_INFO value): the same rules as
    /// <see cref="SshReader.ReadNameList"/>.
    /// </summary>
    public static string[] ParseNameList(ReadOnlySpan<byte> bytes)
    {
        var prefixed = new byte[4 + bytes.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(prefixed, (uint)bytes.Length);
        bytes.CopyTo(prefixed.AsSpan(4));
        var reader = new SshReader(prefixed);
        return reader.ReadNameList();
    }
}
