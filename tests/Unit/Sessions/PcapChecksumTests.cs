using HoopProxy.Host.Sessions.Ssh;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary>The Internet checksum the pcap export puts in IPv4 and TCP headers (RFC 1071).</summary>
public sealed class PcapChecksumTests
{
    [Test]
    public void The_example_of_rfc_1071_sums_to_ddf2()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum field holds its complement.
        Assert.That(InternetChecksum.Of([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), Is.EqualTo(0x220d));
    }

    [Test]
    public void A_real_ipv4_header_gets_the_checksum_it_was_sent_with()
    {
        // A UDP packet 192.168.0.1 → 192.168.0.199 whose header carried b861, here with the field zeroed.
        byte[] header = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7];
        Assert.That(InternetChecksum.Of(header), Is.EqualTo(0xb861));
    }

    [Test]
    public void Parts_of_any_length_sum_as_the_whole_and_as_the_word_by_word_loop()
    {
        var random = new Random(7);
        for (var length = 0; length < 200; length++)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            var expected = (ushort)~PcapTestCapture.OnesComplementSum(bytes);
            Assert.That(InternetChecksum.Of(bytes), Is.EqualTo(expected), $"{length} bytes at once");

            // Odd and even cuts: a part that ends halfway through a word is continued by the next.
            var parts = new InternetChecksum();
            var at = 0;
            while (at < length)
            {
                var take = Math.Min(length - at, random.Next(1, 9));
                parts.Add(bytes.AsSpan(at, take));
                at += take;
            }

            Assert.That(parts.Complement(), Is.EqualTo(expected), $"{length} bytes in parts");
        }
    }

    [Test]
    public void Sums_that_carry_many_times_fold_back_into_sixteen_bits()
    {
        // 64 KiB of 0xFF: every word is 0xFFFF, ones' complement negative zero, so the sum stays 0xFFFF and the checksum 0.
        var ones = Enumerable.Repeat((byte)0xFF, 65536).ToArray();
        Assert.That(InternetChecksum.Of(ones), Is.Zero);
        var mostlyOnes = ones.ToArray();
        mostlyOnes[^1] = 0xFE;
        Assert.That(InternetChecksum.Of(mostlyOnes), Is.EqualTo((ushort)~PcapTestCapture.OnesComplementSum(mostlyOnes)));
    }
}
