using System.Buffers;

namespace HoopProxy.Tests.Unit.Postgres;

/// <summary>
/// Builds multi-segment sequences the way a socket delivers bytes: cut at arbitrary points, every piece in
/// its own array (so a parser that reads past a segment end cannot get lucky), empty pieces allowed.
/// </summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0].ToArray(), 0);
        var last = first;
        for (var i = 1; i < parts.Length; i++)
        {
            last = last.Append(parts[i].ToArray());
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Cuts <paramref name="data"/> at the given offsets (ascending, 0 and data.Length allowed: they make empty segments).</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] data, params int[] cuts)
    {
        var parts = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts)
        {
            parts.Add(data[start..cut]);
            start = cut;
        }

        parts.Add(data[start..]);
        return Of([.. parts]);
    }

    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data) => Of([.. data.Select(b => new[] { b })]);

    /// <summary>One byte per segment with an empty segment before each: the worst layout a pipe could hand over.</summary>
    public static ReadOnlySequence<byte> OneByteWithEmptySegments(byte[] data) =>
        Of([.. data.SelectMany(b => new[] { Array.Empty<byte>(), new[] { b } }), []]);

    /// <summary>Every two-piece cut (including the empty-first and empty-last ones) and the one-byte layouts.</summary>
    public static IEnumerable<ReadOnlySequence<byte>> EveryLayout(byte[] data)
    {
        for (var k = 0; k <= data.Length; k++)
        {
            yield return SplitAt(data, k);
        }

        yield return OneBytePerSegment(data);
        yield return OneByteWithEmptySegments(data);
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
}
