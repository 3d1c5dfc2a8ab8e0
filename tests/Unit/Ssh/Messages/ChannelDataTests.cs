using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Connection.Messages;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Messages;

/// <summary>The hot path: channel data is read in place and written with one copy of the data, into the output.</summary>
public sealed class ChannelDataTests
{
    private static readonly byte[] Payload = [94, 0, 0, 0, 5, 0, 0, 0, 3, (byte)'a', (byte)'b', (byte)'c'];
    private static readonly byte[] ExtendedPayload = [95, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 3, (byte)'e', (byte)'r', (byte)'r'];

    [Test]
    public void The_view_points_into_the_payload()
    {
        var view = ChannelData.ParseView(Payload);
        Assert.That(view.RecipientChannel, Is.EqualTo(5));
        Assert.That(view.Data.ToArray(), Is.EqualTo("abc"u8.ToArray()));
        Assert.That(Unsafe.AreSame(ref MemoryMarshal.GetReference(view.Data), ref Payload[ChannelData.HeaderLength]), Is.True);

        var extended = ChannelExtendedData.ParseView(ExtendedPayload);
        Assert.That(extended.DataType, Is.EqualTo(ExtendedDataType.Stderr));
        Assert.That(Unsafe.AreSame(ref MemoryMarshal.GetReference(extended.Data), ref ExtendedPayload[ChannelExtendedData.HeaderLength]), Is.True);
    }

    [Test]
    public void A_sliced_parse_shares_the_payloads_memory()
    {
        var message = ChannelData.ParseSlice(Payload);
        Assert.That(MemoryMarshal.TryGetArray(message.Data, out var segment), Is.True);
        Assert.That(segment.Array, Is.SameAs(Payload));
        Assert.That(segment.Offset, Is.EqualTo(ChannelData.HeaderLength));
        Assert.That(segment.Count, Is.EqualTo(3));

        var extended = ChannelExtendedData.ParseSlice(ExtendedPayload);
        Assert.That(MemoryMarshal.TryGetArray(extended.Data, out var extendedSegment), Is.True);
        Assert.That(extendedSegment.Array, Is.SameAs(ExtendedPayload));
        Assert.That(extendedSegment.Offset, Is.EqualTo(ChannelExtendedData.HeaderLength));
    }

    [Test]
    public void The_copying_parse_owns_its_data()
    {
        var message = ChannelData.Parse(Payload);
        Assert.That(MemoryMarshal.TryGetArray(message.Data, out var segment), Is.True);
        Assert.That(segment.Array, Is.Not.SameAs(Payload));
        Assert.That(message, Is.EqualTo(ChannelData.ParseSlice(Payload)));
        Assert.That(ChannelData.ParseView(Payload).ToMessage(), Is.EqualTo(message));
    }

    [Test]
    public void Written_directly_or_header_first_the_bytes_are_the_same()
    {
        Assert.That(MessageCases.Encode(o => ChannelData.Write(o, 5, "abc"u8)), Is.EqualTo(Payload));
        Assert.That(MessageCases.Encode(o => ChannelExtendedData.Write(o, 5, ExtendedDataType.Stderr, "err"u8)), Is.EqualTo(ExtendedPayload));

        // A caller that reads the data straight into the packet buffer writes only the header in front of it.
        var packet = new byte[Payload.Length];
        "abc"u8.CopyTo(packet.AsSpan(ChannelData.HeaderLength));
        ChannelData.WriteHeader(packet, 5, 3);
        Assert.That(packet, Is.EqualTo(Payload));

        var extendedPacket = new byte[ExtendedPayload.Length];
        "err"u8.CopyTo(extendedPacket.AsSpan(ChannelExtendedData.HeaderLength));
        ChannelExtendedData.WriteHeader(extendedPacket, 5, ExtendedDataType.Stderr, 3);
        Assert.That(extendedPacket, Is.EqualTo(ExtendedPayload));

        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelData.WriteHeader(new byte[ChannelData.HeaderLength - 1], 5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelData.WriteHeader(new byte[ChannelData.HeaderLength], 5, -1));
    }

    [Test]
    public void Writing_a_message_puts_the_data_itself_into_the_output()
    {
        var output = new ArrayBufferWriter<byte>(64);
        var data = "abc"u8.ToArray();
        new ChannelData(5, data).WriteTo(output);
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(Payload));
        data[0] = (byte)'X';
        Assert.That(output.WrittenSpan[ChannelData.HeaderLength], Is.EqualTo((byte)'a'));
    }

    [Test]
    public void A_data_length_that_disagrees_with_the_payload_is_a_protocol_error()
    {
        byte[] tooShort = [94, 0, 0, 0, 5, 0, 0, 0, 4, (byte)'a', (byte)'b', (byte)'c'];
        byte[] tooLong = [94, 0, 0, 0, 5, 0, 0, 0, 2, (byte)'a', (byte)'b', (byte)'c'];
        Assert.Throws<SshProtocolException>(() => ChannelData.ParseView(tooShort));
        Assert.Throws<SshProtocolException>(() => ChannelData.ParseView(tooLong));
        Assert.Throws<SshProtocolException>(() => ChannelData.ParseSlice(tooLong));
        Assert.Throws<SshProtocolException>(() => ChannelData.ParseView(ExtendedPayload));
        Assert.Throws<SshProtocolException>(() => ChannelExtendedData.ParseView(Payload));
    }
}
