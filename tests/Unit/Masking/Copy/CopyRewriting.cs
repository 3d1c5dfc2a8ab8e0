using System.Buffers;
using HoopProxy.Postgres.Masking.Copy;
using HoopProxy.Postgres.Masking.Wire;
using HoopProxy.Tests.Unit.Postgres;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking.Copy;

/// <summary>Runs COPY data through a <see cref="CopyOutRewriter"/> cut into CopyData messages in different ways.</summary>
internal static class CopyRewriting
{
    /// <summary>Each array is one CopyData body; returns everything written, after <see cref="CopyOutRewriter.Complete"/>.</summary>
    public static byte[] Run(CopyOutOptions options, IFieldMasker masker, params byte[][] messages) =>
        Run(options, masker, messages.Select(m => new ReadOnlySequence<byte>(m)));

    public static byte[] Run(CopyOutOptions options, IFieldMasker masker, IEnumerable<ReadOnlySequence<byte>> messages)
    {
        using var rewriter = new CopyOutRewriter(options, masker);
        var output = new ArrayBufferWriter<byte>();
        foreach (var message in messages)
        {
            rewriter.Rewrite(message, output);
        }

        rewriter.Complete();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Asserts that <paramref name="data"/> gives <paramref name="expected"/> however it is delivered: in one message, cut
    /// into two messages at every byte position, one byte per message, and as one message of many segments.
    /// </summary>
    public static void AssertEveryLayout(CopyOutOptions options, Func<IFieldMasker> masker, byte[] data, byte[] expected)
    {
        for (var cut = 0; cut <= data.Length; cut++)
        {
            Assert.That(Run(options, masker(), data[..cut], data[cut..]), Is.EqualTo(expected), $"cut into two messages at byte {cut}");
        }

        Assert.That(Run(options, masker(), [.. data.Select(b => new[] { b })]), Is.EqualTo(expected), "one byte per message");
        foreach (var layout in Segments.EveryLayout(data))
        {
            Assert.That(Run(options, masker(), [layout]), Is.EqualTo(expected), "one message in several segments");
        }
    }
}
