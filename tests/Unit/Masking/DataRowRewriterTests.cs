using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using HoopProxy.Postgres.Masking;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Masking.Wire;
using HoopProxy.Postgres.Protocol;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking;

public sealed class DataRowRewriterTests
{
    private static readonly RowsPlan SsnColumnPartial = new(new ResultMaskPlan(
        [
            new ResultColumn("id", ValueKind.NonText, null),
            new ResultColumn("public.t.ssn", ValueKind.Text, new ColumnMask("public.t.ssn", "r", new PartialOperator(4))),
            new ResultColumn("note", ValueKind.Text, null),
        ], []), [false, false, false]);

    private static byte[] Body(params string?[] values)
    {
        var output = new List<byte> { 0, 0 };
        BinaryPrimitives.WriteInt16BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output), (short)values.Length);
        foreach (var value in values)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, value is null ? -1 : Encoding.UTF8.GetByteCount(value));
            output.AddRange(length);
            if (value is not null)
            {
                output.AddRange(Encoding.UTF8.GetBytes(value));
            }
        }

        return [.. output];
    }

    private static string?[] Values(ReadOnlySpan<byte> message)
    {
        Assert.That((char)message[0], Is.EqualTo('D'));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(message[1..]), Is.EqualTo(message.Length - 1), "the length field covers the message");
        var count = BinaryPrimitives.ReadInt16BigEndian(message[5..]);
        var values = new string?[count];
        var position = 7;
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(message[position..]);
            position += 4;
            values[i] = length < 0 ? null : Encoding.UTF8.GetString(message.Slice(position, length));
            position += Math.Max(length, 0);
        }

        return values;
    }

    /// <summary>A body split into one-byte segments: what a pipe can hand over when a row arrives in pieces.</summary>
    private static ReadOnlySequence<byte> Fragmented(byte[] body)
    {
        var first = new Segment(body.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < body.Length; i++)
        {
            last = last.Append(body.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Test]
    public void Masks_the_ruled_column_and_keeps_the_others_byte_for_byte_also_across_segments()
    {
        foreach (var body in new[] { new ReadOnlySequence<byte>(Body("7", "536-22-8726", "ok ü")), Fragmented(Body("7", "536-22-8726", "ok ü")) })
        {
            var rewriter = new DataRowRewriter();
            Assert.That(rewriter.TryMask(body, SsnColumnPartial), Is.True);
            var output = new ArrayBufferWriter<byte>();
            rewriter.WriteMasked(output);
            Assert.That(Values(output.WrittenSpan), Is.EqualTo(new[] { "7", "***-**-8726", "ok ü" }));
        }
    }

    [Test]
    public void A_row_without_anything_to_change_is_left_alone_and_nulls_stay_null()
    {
        var rewriter = new DataRowRewriter();
        Assert.That(rewriter.TryMask(new ReadOnlySequence<byte>(Body("7", null, "x")), SsnColumnPartial), Is.False);
    }

    [TestCase(new byte[] { 0 })]
    [TestCase(new byte[] { 0, 1, 0, 0, 0, 9, 65 })]
    [TestCase(new byte[] { 0, 1, 0xFF, 0xFF, 0xFF, 0xFE })]
    [TestCase(new byte[] { 0, 1, 0, 0, 0, 1, 65, 66 })]
    public void A_malformed_row_is_a_protocol_violation(byte[] body)
    {
        var rewriter = new DataRowRewriter();
        var error = Assert.Throws<PostgresProtocolException>(() => rewriter.TryMask(new ReadOnlySequence<byte>(body), SsnColumnPartial));
        Assert.That(error!.SqlState, Is.EqualTo(SqlState.ProtocolViolation));
    }
}
