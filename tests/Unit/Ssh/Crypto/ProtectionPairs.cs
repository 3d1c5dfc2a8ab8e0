using System.Buffers.Binary;
using HoopProxy.Ssh.Transport.Crypto;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Crypto;

/// <summary>Sender/receiver protections made from the same random keys, and packets built the way the transport will build them.</summary>
internal static class ProtectionPairs
{
    public const uint MaximumPacketLength = 256 * 1024;

    /// <summary>Every cipher, and every MAC with each CTR cipher, by "cipher" or "cipher+mac"; "none" too.</summary>
    public static IEnumerable<string> AllSuites()
    {
        yield return "none";
        foreach (var cipher in CipherAlgorithm.Preferred)
        {
            if (cipher.IsAuthenticated)
            {
                yield return cipher.Name;
                continue;
            }

            foreach (var mac in MacAlgorithm.Preferred)
            {
                yield return $"{cipher.Name}+{mac.Name}";
            }
        }
    }

    /// <summary>The suites that authenticate (all but none).</summary>
    public static IEnumerable<string> AuthenticatedSuites() => AllSuites().Where(s => s != "none");

    /// <summary>The suites whose MAC or tag covers the sequence number (AES-GCM binds its own counter instead).</summary>
    public static IEnumerable<string> SequenceBindingSuites() => AuthenticatedSuites().Where(s => !s.Contains("-gcm@", StringComparison.Ordinal));

    public static IEnumerable<string> CounterSuites() => AuthenticatedSuites().Where(s => s.Contains("-gcm@", StringComparison.Ordinal) || s.Contains("-ctr", StringComparison.Ordinal));

    public static (PacketProtection Sender, PacketProtection Receiver) Create(string suiteName, int seed = 1)
    {
        if (suiteName == "none")
        {
            return (PacketProtection.CreateNone(), PacketProtection.CreateNone());
        }

        var names = suiteName.Split('+');
        Assert.That(PacketProtectionSuite.TryResolve(names[0], names.Length > 1 ? names[1] : null, out var suite), Is.True, suiteName);
        var random = new Random(seed);
        var key = new byte[suite!.KeyLength];
        var iv = new byte[suite.IvLength];
        var macKey = new byte[suite.MacKeyLength];
        random.NextBytes(key);
        random.NextBytes(iv);
        random.NextBytes(macKey);
        return (suite.Create(key, iv, macKey), suite.Create(key, iv, macKey));
    }

    /// <summary>
    /// A plaintext packet for <paramref name="payload"/> (length, padding_length, payload, random padding as the
    /// protection asks) followed by <see cref="PacketProtection.TagLength"/> bytes of room for the tag.
    /// </summary>
    public static byte[] Build(PacketProtection protection, ReadOnlySpan<byte> payload, Random random)
    {
        var padding = protection.GetPaddingLength(payload.Length);
        var packetLength = 1 + payload.Length + padding;
        var buffer = new byte[PacketProtection.LengthFieldSize + packetLength + protection.TagLength];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)packetLength);
        buffer[4] = (byte)padding;
        payload.CopyTo(buffer.AsSpan(5));
        random.NextBytes(buffer.AsSpan(5 + payload.Length, padding));
        return buffer;
    }

    /// <summary>Builds and seals; returns the wire bytes and the plaintext packet they carry.</summary>
    public static (byte[] Wire, byte[] Plaintext) Seal(PacketProtection sender, uint sequenceNumber, ReadOnlySpan<byte> payload, Random random)
    {
        var wire = Build(sender, payload, random);
        var packetSize = wire.Length - sender.TagLength;
        var plaintext = wire[..packetSize];
        sender.Seal(sequenceNumber, wire.AsSpan(0, packetSize), wire.AsSpan(packetSize));
        return (wire, plaintext);
    }

    /// <summary>
    /// Receives <paramref name="wire"/> as the transport would: length first, refused if the check fails, otherwise as
    /// many bytes as the (possibly forged) length says, topped up with <paramref name="filler"/> when the wire is short.
    /// Returns the opened plaintext, or null when the packet was refused at the length check or by TryOpen.
    /// </summary>
    public static byte[]? Receive(PacketProtection receiver, uint sequenceNumber, byte[] wire, Random filler)
    {
        var packetLength = receiver.ReadPacketLength(sequenceNumber, wire.AsSpan(0, receiver.BytesNeededForLength));
        if (receiver.CheckPacketLength(packetLength, MaximumPacketLength) != PacketLengthVerdict.Acceptable)
        {
            return null;
        }

        var size = PacketProtection.LengthFieldSize + (int)packetLength + receiver.TagLength;
        var packet = new byte[size];
        wire.AsSpan(0, Math.Min(size, wire.Length)).CopyTo(packet);
        if (size > wire.Length)
        {
            filler.NextBytes(packet.AsSpan(wire.Length));
        }

        var plaintext = new byte[size - receiver.TagLength];
        return receiver.TryOpen(sequenceNumber, packet, plaintext) ? plaintext : null;
    }
}
