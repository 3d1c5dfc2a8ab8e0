using System.Security.Cryptography;
using System.Text;
using HoopProxy.Core.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Recording;

[TestFixture]
public sealed class CompressionBackoffTests
{
    private static readonly byte[] Random32K = RandomNumberGenerator.GetBytes(32 * 1024);
    private static readonly byte[] Text32K = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 4000).Select(i => $"row {i} ok; ")))[..(32 * 1024)];

    private static bool Compresses(PayloadCompressor compressor, byte[] payload, ref CompressionBackoff backoff)
    {
        compressor.Encode(payload, ref backoff, out var flags);
        return flags == RecordingFormat.FlagZstd;
    }

    [Test]
    public void After_incompressible_records_the_next_ones_are_stored_plainly_for_longer_each_time_until_one_shrinks()
    {
        using var compressor = new PayloadCompressor();
        var backoff = new CompressionBackoff();
        Assert.That(Compresses(compressor, Text32K, ref backoff), Is.True, "text compresses from the start");

        Assert.That(Compresses(compressor, Random32K, ref backoff), Is.False);
        Assert.That(Compresses(compressor, Text32K, ref backoff), Is.False, "the record after a failure is not tried");
        Assert.That(Compresses(compressor, Random32K, ref backoff), Is.False, "tried, and failed again");
        Assert.That(Compresses(compressor, Text32K, ref backoff), Is.False, "two skipped now");
        Assert.That(Compresses(compressor, Text32K, ref backoff), Is.False);
        Assert.That(Compresses(compressor, Text32K, ref backoff), Is.True, "tried again, and it shrinks");
        Assert.That(Compresses(compressor, Text32K, ref backoff), Is.True, "a success starts over");
    }

    [Test]
    public void A_long_incompressible_stream_is_tried_about_once_in_every_sixty_four_records()
    {
        using var compressor = new PayloadCompressor();
        var backoff = new CompressionBackoff();
        var tried = 0;
        for (var i = 0; i < 1000; i++)
        {
            // A copy taken before the record: asking it whether it would try leaves the real one alone.
            var before = backoff;
            compressor.Encode(Random32K, ref backoff, out _);
            tried += before.ShouldTry() ? 1 : 0;
        }

        Assert.That(tried, Is.InRange(1000 / (CompressionBackoff.MaxSkipped + 1), 1000 / (CompressionBackoff.MaxSkipped + 1) + 7));
    }
}
