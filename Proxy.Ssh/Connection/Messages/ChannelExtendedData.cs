using System.Buffers;
using System.Buffers.Binary;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;

namespace HoopProxy.Ssh.Connection.Messages;

/// <summary>
/// SSH_MSG_CHANNEL_EXTENDED_DATA (RFC 4254 §5.2): a separate stream of a channel, in practice stderr
/// (<see cref="ExtendedDataType.Stderr"/>). Like <see cref="ChannelData"/> it can be parsed and written without
/// copying the data (<see cref="ParseView"/>, <see cref="ParseSlice"/>, <see cref="Write"/>, <see cref="WriteHeader"/>).
/// </summary>
public readonly record struct ChannelExtendedData(uint RecipientChannel, ExtendedDataType DataType, ReadOnlyMemory<byte> Data)
{
    public const string Name = "SSH_MSG_CHANNEL_EXTENDED_DATA";

    /// <summary>Message number, recipient channel, data type code and the data's length: the data starts at this offset.</summary>
    public const int HeaderLength = 1 + 4 + 4 + 4;

    /// <summary>Parses and copies the data out of <paramref name="payload"/>.</summary>
    public static ChannelExtendedData Parse(ReadOnlySpan<byte> payload)
    {
        var view = ParseView(payload);
        return new ChannelExtendedData(view.RecipientChannel, view.DataType, view.Data.ToArray());
    }

    /// <summary>Parses without copying: the view's data is a slice of <paramref name="payload"/>.</summary>
    public static ChannelExtendedDataView ParseView(ReadOnlySpan<byte> payload)
    {
        var reader = MessageCodec.Open(payload, SshMessageNumber.ChannelExtendedData, Name);
        var recipient = reader.ReadUInt32();
        var type = (ExtendedDataType)reader.ReadUInt32();
        var data = reader.ReadString();
        reader.ExpectEnd(Name);
        return new ChannelExtendedDataView(recipient, type, data);
    }

    /// <summary>Parses without copying: <see cref="Data"/> is a slice of <paramref name="payload"/>.</summary>
    public static ChannelExtendedData ParseSlice(ReadOnlyMemory<byte> payload)
    {
        var view = ParseView(payload.Span);
        return new ChannelExtendedData(view.RecipientChannel, view.DataType, payload.Slice(HeaderLength, view.Data.Length));
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(output, RecipientChannel, DataType, Data.Span);

    /// <summary>Writes the message for <paramref name="data"/> straight into <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, uint recipientChannel, ExtendedDataType dataType, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteHeader(output.GetSpan(HeaderLength), recipientChannel, dataType, data.Length);
        output.Advance(HeaderLength);
        output.Write(data);
    }

    /// <summary>Writes the <see cref="HeaderLength"/> bytes that precede <paramref name="dataLength"/> bytes of data.</summary>
    public static void WriteHeader(Span<byte> destination, uint recipientChannel, ExtendedDataType dataType, int dataLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, HeaderLength, nameof(destination));
        destination[0] = (byte)SshMessageNumber.ChannelExtendedData;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], recipientChannel);
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)dataType);
        BinaryPrimitives.WriteUInt32BigEndian(destination[9..], (uint)dataLength);
    }

    public bool Equals(ChannelExtendedData other) =>
        RecipientChannel == other.RecipientChannel && DataType == other.DataType && MessageCodec.SameBytes(Data, other.Data);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(RecipientChannel);
        hash.Add(DataType);
        MessageCodec.AddBytes(ref hash, Data);
        return hash.ToHashCode();
    }
}
