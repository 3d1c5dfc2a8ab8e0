using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Postgres;

/// <summary>The shape every message type's TryParse has.</summary>
internal delegate bool TryParser<T>(ReadOnlySequence<byte> body, out T message);

/// <summary>The contract every message codec must keep, checked the same way for each type.</summary>
internal static class CodecAssert
{
    public static byte[] Written(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Body(byte[] wire) => wire[5..];

    /// <summary>
    /// Checks the hand-written literal's own header (so a miscounted literal fails loudly), parses its body,
    /// writes the result back and expects the very same bytes, then parses the body again from every
    /// segment layout and expects the same bytes once more. Returns the message for field assertions.
    /// </summary>
    public static T RoundTrip<T>(byte[] wire, byte code, TryParser<T> parse, Action<T, IBufferWriter<byte>> write)
    {
        Assert.That(wire[0], Is.EqualTo(code), "type byte of the literal");
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(wire.AsSpan(1)), Is.EqualTo(wire.Length - 1), "length field of the literal");

        var body = Body(wire);
        Assert.That(parse(new ReadOnlySequence<byte>(body), out var message), Is.True, "parse from one segment");
        Assert.That(Written(output => write(message, output)), Is.EqualTo(wire), "written back");

        foreach (var layout in Segments.EveryLayout(body))
        {
            Assert.That(parse(layout, out var fromSegments), Is.True, "parse from several segments");
            Assert.That(Written(output => write(fromSegments, output)), Is.EqualTo(wire), "written back after a multi-segment parse");
        }

        return message;
    }

    /// <summary>Every body shorter than <paramref name="validFrom"/> bytes (a proper prefix by default) must be refused.</summary>
    public static void RejectsTruncations<T>(byte[] wire, TryParser<T> parse, int? validFrom = null)
    {
        var body = Body(wire);
        var limit = Math.Min(validFrom ?? body.Length, body.Length);
        for (var length = 0; length < limit; length++)
        {
            Assert.That(parse(new ReadOnlySequence<byte>(body, 0, length), out _), Is.False, $"a body cut to {length} of {body.Length} bytes");
        }
    }

    /// <summary>A byte after the last field means the peer and we disagree on the layout.</summary>
    public static void RejectsTrailingByte<T>(byte[] wire, TryParser<T> parse)
    {
        byte[] body = [.. Body(wire), 0];
        Assert.That(parse(new ReadOnlySequence<byte>(body), out _), Is.False, "a body with one byte too many");
    }

    public static void Rejects<T>(byte[] body, TryParser<T> parse, string because) =>
        Assert.That(parse(new ReadOnlySequence<byte>(body), out _), Is.False, because);

    public static string Text(ReadOnlySequence<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
