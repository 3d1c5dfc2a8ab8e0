using System.Buffers;
using HoopProxy.Postgres.Protocol;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Postgres;

public sealed class MessageFramingTests
{
    private const int Max = 1 << 20;

    private static MessageHeader Header(byte code, uint length)
    {
        byte[] bytes = [code, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];
        Assert.That(MessageHeader.TryRead(new ReadOnlySequence<byte>(bytes), out var header), Is.True);
        return header;
    }

    [TestCase(0u)]
    [TestCase(3u)]
    [TestCase(0x80000000u)]
    [TestCase(0xFFFFFFFFu)]
    public void A_length_below_four_or_beyond_two_gigabytes_is_a_protocol_violation(uint length)
    {
        var header = Header((byte)'Q', length);
        var error = Assert.Throws<PostgresProtocolException>(() => header.Validate(Max, "client"));
        Assert.That(error.SqlState, Is.EqualTo("08P01"));
        Assert.That(error.Message, Does.Contain("client"));
    }

    [Test]
    public void A_length_above_the_limit_is_a_program_limit()
    {
        var header = Header((byte)'Q', Max + 1);
        var error = Assert.Throws<PostgresProtocolException>(() => header.Validate(Max, "client"));
        Assert.That(error.SqlState, Is.EqualTo("54000"));
    }

    [TestCase(4u)]
    [TestCase((uint)Max)]
    public void Lengths_from_four_to_the_limit_pass(uint length) =>
        Assert.DoesNotThrow(() => Header((byte)'Q', length).Validate(Max, "client"));

    [Test]
    public void A_header_split_across_segments_reads_the_same()
    {
        byte[] bytes = [(byte)'D', 0x01, 0x02, 0x03, 0x04];
        foreach (var layout in Segments.EveryLayout(bytes))
        {
            Assert.That(MessageHeader.TryRead(layout, out var header), Is.True);
            Assert.That(header, Is.EqualTo(new MessageHeader((byte)'D', 0x01020304)));
        }

        Assert.That(MessageHeader.TryRead(Segments.SplitAt(bytes[..4], 2), out _), Is.False);
    }

    [Test]
    public void Framer_returns_false_and_consumes_nothing_until_the_whole_message_is_there()
    {
        byte[] wire = [(byte)'Q', 0, 0, 0, 13, .. "SELECT 1"u8, 0, (byte)'X', 0, 0, 0, 4];
        for (var length = 0; length < 14; length++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire, 0, length));
            Assert.That(MessageFramer.TryReadMessage(ref reader, Max, out _, out _), Is.False, $"{length} bytes");
            Assert.That(reader.Consumed, Is.Zero);
        }

        var all = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire));
        Assert.That(MessageFramer.TryReadMessage(ref all, Max, out var code, out var body), Is.True);
        Assert.That(code, Is.EqualTo((byte)'Q'));
        Assert.That(body.ToArray(), Is.EqualTo(wire[5..14]));
        Assert.That(MessageFramer.TryReadMessage(ref all, Max, out code, out body), Is.True);
        Assert.That(code, Is.EqualTo((byte)'X'));
        Assert.That(body.IsEmpty, Is.True);
        Assert.That(all.End, Is.True);
        Assert.That(MessageFramer.TryReadMessage(ref all, Max, out _, out _), Is.False);
    }

    [Test]
    public void Framer_refuses_a_bad_length_from_the_header_alone_without_waiting_for_the_body()
    {
        byte[] tooLong = [(byte)'D', 0x7F, 0xFF, 0xFF, 0xFF];
        var error = Assert.Throws<PostgresProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(tooLong));
            MessageFramer.TryReadMessage(ref reader, Max, "server", out _, out _);
        });
        Assert.That(error.SqlState, Is.EqualTo("54000"));
        Assert.That(error.Message, Does.Contain("server"));

        byte[] negative = [(byte)'D', 0x80, 0, 0, 0];
        error = Assert.Throws<PostgresProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(negative));
            MessageFramer.TryReadMessage(ref reader, Max, out _, out _);
        });
        Assert.That(error.SqlState, Is.EqualTo("08P01"));
    }
}
