using System.Buffers.Binary;
using HoopProxy.Ssh.Transport.Crypto;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Crypto;

/// <summary>
/// What every protection promises the transport: round trips over many packets, the length before the body, refusal of
/// tampered, replayed or misnumbered packets without an exception, and no allocation per packet.
/// </summary>
public sealed class PacketProtectionContractTests
{
    private static IEnumerable<string> AllSuites() => ProtectionPairs.AllSuites();

    private static IEnumerable<string> AuthenticatedSuites() => ProtectionPairs.AuthenticatedSuites();

    private static IEnumerable<string> SequenceBindingSuites() => ProtectionPairs.SequenceBindingSuites();

    private static IEnumerable<string> CounterSuites() => ProtectionPairs.CounterSuites();

    private static readonly int[] PayloadSizes =
        [0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 1000, 4095, 4096, 4097, 16384, 32768, 32769, 35000, 40000];

    [TestCaseSource(nameof(AllSuites))]
    public void Packets_round_trip_in_order_across_the_sequence_number_wrap(string suite)
    {
        var (sender, receiver) = ProtectionPairs.Create(suite);
        using var _ = sender;
        using var __ = receiver;
        var random = new Random(7);
        var sequence = uint.MaxValue - 20;
        var sizes = PayloadSizes.Concat(Enumerable.Range(0, 150).Select(_ => random.Next(0, 2000))).ToArray();
        for (var i = 0; i < sizes.Length; i++, sequence++)
        {
            var payload = new byte[sizes[i]];
            random.NextBytes(payload);
            var (wire, plaintext) = ProtectionPairs.Seal(sender, sequence, payload, random);
            var packetSize = plaintext.Length;
            Assert.That(packetSize % sender.BlockSize, Is.EqualTo(sender.AlignmentCoversLengthField ? 0 : 4 % sender.BlockSize), "alignment");
            if (suite != "none" && payload.Length >= 16)
            {
                Assert.That(wire.AsSpan(5, payload.Length).SequenceEqual(payload), Is.False, "the payload went out in clear");
            }

            // Length first, from only the head.
            var head = wire.AsSpan(0, receiver.BytesNeededForLength).ToArray();
            var packetLength = receiver.ReadPacketLength(sequence, head);
            Assert.That(packetLength, Is.EqualTo((uint)(packetSize - 4)));
            Assert.That(receiver.CheckPacketLength(packetLength, ProtectionPairs.MaximumPacketLength), Is.EqualTo(PacketLengthVerdict.Acceptable));

            // Every other packet in place, the rest into a separate (larger) buffer.
            byte[] opened;
            if (i % 2 == 0)
            {
                Assert.That(receiver.TryOpen(sequence, wire, wire), Is.True, $"packet {i}, {sizes[i]} bytes");
                opened = wire[..packetSize];
            }
            else
            {
                var output = new byte[packetSize + 3];
                Assert.That(receiver.TryOpen(sequence, wire, output), Is.True, $"packet {i}, {sizes[i]} bytes");
                opened = output[..packetSize];
            }

            Assert.That(opened, Is.EqualTo(plaintext));
            Assert.That(PacketProtection.TryGetPayload(opened, out var received), Is.True);
            Assert.That(received.ToArray(), Is.EqualTo(payload));
        }
    }

    [TestCaseSource(nameof(AuthenticatedSuites))]
    public void Any_flipped_byte_of_length_ciphertext_or_tag_is_refused_without_an_exception(string suite)
    {
        var random = new Random(3);
        var payload = new byte[45];
        random.NextBytes(payload);
        int wireLength;
        {
            var (probe, _) = ProtectionPairs.Create(suite);
            using var p = probe;
            wireLength = ProtectionPairs.Build(probe, payload, random).Length;
        }

        for (var position = 0; position < wireLength; position++)
        {
            foreach (var flip in new byte[] { 0x01, 0x10, 0x80 })
            {
                // Before the length is read (what an attacker on the wire does: a changed length is refused or
                // makes the MAC cover other bytes) and after it (the bytes TryOpen authenticates are what counts).
                foreach (var afterLength in new[] { false, true })
                {
                    var (sender, receiver) = ProtectionPairs.Create(suite);
                    using var s = sender;
                    using var r = receiver;
                    ExchangeWarmUpPackets(sender, receiver, random);
                    var (wire, _) = ProtectionPairs.Seal(sender, 3, payload, random);
                    bool opened;
                    if (afterLength)
                    {
                        receiver.ReadPacketLength(3, wire);
                        wire[position] ^= flip;
                        opened = receiver.TryOpen(3, wire, wire);
                    }
                    else
                    {
                        wire[position] ^= flip;
                        opened = ProtectionPairs.Receive(receiver, 3, wire, random) is not null;
                    }

                    Assert.That(opened, Is.False, $"byte {position} ^ 0x{flip:x2} ({(afterLength ? "after" : "before")} the length was read)");
                }
            }
        }
    }

    [TestCaseSource(nameof(SequenceBindingSuites))]
    public void A_packet_opened_under_another_sequence_number_is_refused(string suite)
    {
        var random = new Random(5);
        foreach (var wrong in new uint[] { 4, 6, 5 + (1u << 31), 0 })
        {
            var (sender, receiver) = ProtectionPairs.Create(suite);
            using var s = sender;
            using var r = receiver;
            var (wire, _) = ProtectionPairs.Seal(sender, 5, new byte[100], random);
            Assert.That(ProtectionPairs.Receive(receiver, wrong, wire, random), Is.Null, $"opened as {wrong}");
        }
    }

    [TestCaseSource(nameof(AuthenticatedSuites))]
    public void A_replayed_or_reordered_packet_is_refused(string suite)
    {
        var random = new Random(11);
        var (sender, receiver) = ProtectionPairs.Create(suite);
        using var s = sender;
        using var r = receiver;
        var (first, _) = ProtectionPairs.Seal(sender, 0, new byte[64], random);
        var (second, _) = ProtectionPairs.Seal(sender, 1, new byte[64], random);
        Assert.That(ProtectionPairs.Receive(receiver, 0, second, random), Is.Null, "the second packet in the first one's place");

        var (sender2, receiver2) = ProtectionPairs.Create(suite);
        using var s2 = sender2;
        using var r2 = receiver2;
        var (again, _) = ProtectionPairs.Seal(sender2, 0, new byte[64], random);
        Assert.That(ProtectionPairs.Receive(receiver2, 0, again.ToArray(), random), Is.Not.Null);
        Assert.That(ProtectionPairs.Receive(receiver2, 1, again, random), Is.Null, "the same packet replayed");
    }

    [TestCaseSource(nameof(CounterSuites))]
    public void The_same_packet_sealed_twice_under_the_same_sequence_number_gives_different_ciphertexts(string suite)
    {
        // The CTR and GCM counters are the sender's own state, not the sequence number: they move on regardless.
        var (sender, receiver) = ProtectionPairs.Create(suite);
        using var s = sender;
        using var r = receiver;
        var random = new Random(13);
        var plaintext = ProtectionPairs.Build(sender, new byte[200], random);
        var first = plaintext.ToArray();
        var second = plaintext.ToArray();
        var size = plaintext.Length - sender.TagLength;
        sender.Seal(9, first.AsSpan(0, size), first.AsSpan(size));
        sender.Seal(9, second.AsSpan(0, size), second.AsSpan(size));
        Assert.That(first.AsSpan(4, size - 4).SequenceEqual(second.AsSpan(4, size - 4)), Is.False, "the ciphertexts are the same");
        // A plain (encrypt-and-MAC) HMAC covers the plaintext and the sequence number only, so it repeats with them:
        // RFC 4253's design, and the reason the -etm forms come first in our preferences. ETM and GCM tags cover the
        // ciphertext, so they change with it.
        var macCoversPlaintext = suite.Contains("-ctr+", StringComparison.Ordinal) && !suite.EndsWith("-etm@openssh.com", StringComparison.Ordinal);
        Assert.That(first.AsSpan(size).SequenceEqual(second.AsSpan(size)), Is.EqualTo(macCoversPlaintext), "whether the tags are the same");
    }

    [TestCaseSource(nameof(AllSuites))]
    public void A_huge_length_is_reported_before_any_body_arrives(string suite)
    {
        var (sender, receiver) = ProtectionPairs.Create(suite);
        using var s = sender;
        using var r = receiver;
        var random = new Random(17);

        // Seal protects the bytes it is given, so a forged length field goes out encrypted like a real one.
        var wire = ProtectionPairs.Build(sender, new byte[27], random);
        BinaryPrimitives.WriteUInt32BigEndian(wire, 0x7FFF_FFF0);
        var size = wire.Length - sender.TagLength;
        sender.Seal(0, wire.AsSpan(0, size), wire.AsSpan(size));

        var head = wire.AsSpan(0, receiver.BytesNeededForLength).ToArray();
        var packetLength = receiver.ReadPacketLength(0, head);
        Assert.That(packetLength, Is.EqualTo(0x7FFF_FFF0u));
        Assert.That(receiver.CheckPacketLength(packetLength, ProtectionPairs.MaximumPacketLength), Is.EqualTo(PacketLengthVerdict.TooLarge));
        Assert.That(receiver.CheckPacketLength(uint.MaxValue, ProtectionPairs.MaximumPacketLength), Is.EqualTo(PacketLengthVerdict.TooLarge));
    }

    [TestCaseSource(nameof(AllSuites))]
    public void Lengths_are_judged_by_size_padding_room_and_the_algorithms_alignment(string suite)
    {
        var (protection, other) = ProtectionPairs.Create(suite);
        using var p = protection;
        using var o = other;
        var blockSize = (uint)protection.BlockSize;
        var alignedSmall = protection.AlignmentCoversLengthField ? (2 * blockSize) - 4 : 2 * blockSize;
        Assert.Multiple(() =>
        {
            Assert.That(protection.CheckPacketLength(alignedSmall, 35000), Is.EqualTo(PacketLengthVerdict.Acceptable));
            Assert.That(protection.CheckPacketLength(alignedSmall + 1, 35000), Is.EqualTo(PacketLengthVerdict.Misaligned));
            Assert.That(protection.CheckPacketLength(alignedSmall + blockSize, alignedSmall), Is.EqualTo(PacketLengthVerdict.TooLarge));
            Assert.That(protection.CheckPacketLength(0, 35000), Is.EqualTo(PacketLengthVerdict.TooSmall));
            Assert.That(protection.CheckPacketLength(4, 35000), Is.EqualTo(PacketLengthVerdict.TooSmall));
        });
    }

    [TestCaseSource(nameof(AllSuites))]
    public void Padding_is_at_least_four_bytes_and_aligns_the_packet(string suite)
    {
        var (protection, other) = ProtectionPairs.Create(suite);
        using var p = protection;
        using var o = other;
        for (var payload = 0; payload < 100; payload++)
        {
            var padding = protection.GetPaddingLength(payload);
            var aligned = (protection.AlignmentCoversLengthField ? 4 : 0) + 1 + payload + padding;
            Assert.That(padding, Is.InRange(4, 4 + protection.BlockSize - 1));
            Assert.That(aligned % protection.BlockSize, Is.Zero);
        }
    }

    [TestCaseSource(nameof(AuthenticatedSuites))]
    public void After_a_refused_packet_the_protection_refuses_to_go_on(string suite)
    {
        var random = new Random(19);
        var (sender, receiver) = ProtectionPairs.Create(suite);
        using var s = sender;
        using var r = receiver;
        var (wire, _) = ProtectionPairs.Seal(sender, 0, new byte[10], random);
        wire[^1] ^= 1;
        Assert.That(ProtectionPairs.Receive(receiver, 0, wire, random), Is.Null);
        Assert.Throws<InvalidOperationException>(() => receiver.ReadPacketLength(1, new byte[receiver.BytesNeededForLength]));
    }

    [TestCaseSource(nameof(AllSuites))]
    public void Misuse_by_the_caller_throws_and_says_what_is_wrong(string suite)
    {
        var random = new Random(23);
        var (sender, receiver) = ProtectionPairs.Create(suite);
        using var s = sender;
        var (wire, _) = ProtectionPairs.Seal(sender, 0, new byte[10], random);
        Assert.Throws<InvalidOperationException>(() => receiver.TryOpen(0, wire, new byte[wire.Length]), "TryOpen before ReadPacketLength");
        receiver.ReadPacketLength(0, wire);
        Assert.Throws<ArgumentException>(() => receiver.TryOpen(0, wire.AsSpan(0, wire.Length - 1), new byte[wire.Length]), "a short packet");

        var unaligned = new byte[4 + 1 + 4 + 1 + (receiver.AlignmentCoversLengthField ? 0 : 1)];
        Assert.Throws<ArgumentException>(() => sender.Seal(1, unaligned, new byte[sender.TagLength]), "an unaligned packet");

        receiver.Dispose();
        Assert.Throws<ObjectDisposedException>(() => receiver.ReadPacketLength(0, wire));
    }

    [TestCaseSource(nameof(AllSuites))]
    public void Sealing_and_opening_allocate_nothing(string suite)
    {
        var (sender, receiver) = ProtectionPairs.Create(suite);
        using var s = sender;
        using var r = receiver;
        var random = new Random(29);
        var small = ProtectionPairs.Build(sender, new byte[40], random);
        var large = ProtectionPairs.Build(sender, new byte[32768], random);
        var output = new byte[large.Length];
        uint sequence = 0;

        void OnePacket(byte[] template)
        {
            var size = template.Length - sender.TagLength;
            var wire = output.AsSpan(0, template.Length);
            template.CopyTo(wire);
            sender.Seal(sequence, wire[..size], wire[size..]);
            receiver.ReadPacketLength(sequence, wire);
            if (!receiver.TryOpen(sequence, wire, wire))
            {
                throw new AssertionException("a packet did not open");
            }

            sequence++;
        }

        for (var i = 0; i < 100; i++)
        {
            OnePacket(i % 2 == 0 ? small : large);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            OnePacket(i % 10 == 0 ? large : small);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }

    private static void ExchangeWarmUpPackets(PacketProtection sender, PacketProtection receiver, Random random)
    {
        // Two packets first, so counters and keystream buffers are not at their starting points.
        for (uint sequence = 1; sequence <= 2; sequence++)
        {
            var (wire, plaintext) = ProtectionPairs.Seal(sender, sequence, new byte[37 * (int)sequence], random);
            Assert.That(ProtectionPairs.Receive(receiver, sequence, wire, random), Is.EqualTo(plaintext));
        }
    }
}
