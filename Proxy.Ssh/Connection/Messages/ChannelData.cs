using System.Buffers;
using System.Buffers.Binary;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_CHANNEL_DATA (RFC 4254 §5.2): bytes of a channel's stream. This is the hot path, so besides the copying
/// <see cref="Parse(ReadOnlySpan{byte})"/> there are two parses that keep <see cref="Data"/> inside the payload
/// (<see cref="ParseView"/>, <see cref="ParseSlice"/>), and <see cref="Write"/> / <see cref="WriteHeader"/> put the header in
/// front of data without an intermediate buffer.
/// </summary>
public readonly record struct ChannelData(uint RecipientChannel, ReadOnlyMemory<byte> Data)
{
    public const string Name = "SSH_MSG_CHANNEL_DATA";

    /// <summary>Message number, recipient channel and the data's length: the data starts at this offset of the payload.</summary>
    public const int HeaderLength = 1 + 4 + 4;

    /// <summary>Parses and copies the data out of <paramref name="payload"/>.</summary>
    public static ChannelData Parse(ReadOnlySpan<byte> payload)
    {
        var view = ParseView(payload);
        return new ChannelData(view.RecipientChannel, view.Data.ToArray());
    }

    /// <summary>Parses without copying: the view's data is a slice of <paramref name="payload"/>, valid as long as it is.</summary>
    public static ChannelDataView ParseView(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelData, Name);
        var recipient = reader.ReadUInt32();
        var data = reader.ReadString();
        reader.ExpectEnd(Name);
        return new ChannelDataView(recipient, data);
    }

    /// <summary>Parses without copying: <see cref="Data"/> is a slice of <paramref name="payload"/>.</summary>
    public static ChannelData ParseSlice(ReadOnlyMemory<byte> payload)
    {
        var view = ParseView(payload.Span);
        return new ChannelData(view.RecipientChannel, payload.Slice(HeaderLength, view.Data.Length));
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, RecipientChannel, Data.Span);

    /// <summary>Writes the message for <paramref name="data"/> straight into <paramref name="output"/>: the data is copied once, there.</summary>
    public static void Write(IBufferWriter<byte> output, uint recipientChannel, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteHeader(output.GetSpan(HeaderLength), recipientChannel, data.Length);
        output.Advance(HeaderLength);
        output.Write(data);
    }

    /// <summary>
    /// Writes the <see cref="HeaderLength"/> bytes that precede <paramref name="dataLength"/> bytes of data, for a caller
    /// that puts the data in place itself (read from a socket or a pipe right behind the header).
    /// </summary>
    public static void WriteHeader(Span<byte> destination, uint recipientChannel, int dataLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, HeaderLength, nameof(destination));
        destination[0] = (byte)SshMessageNumber.ChannelData;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], recipientChannel);
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)dataLength);
    }

    public bool Equals(ChannelData other) => RecipientChannel == other.RecipientChannel && MessageCodec.SameBytes(Data, other.Data);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(RecipientChannel);
        MessageCodec.AddBytes(ref hash, Data);
        return hash.ToHashCode();
    }
}
