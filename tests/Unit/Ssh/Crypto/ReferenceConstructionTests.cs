using System.Buffers.Binary;
using System.Security.Cryptography;
using HoopProxy.Ssh.Transport.Crypto;
using NUnit.Framework;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using BcPoly1305 = Org.BouncyCastle.Crypto.Macs.Poly1305;

namespace HoopProxy.Tests.Unit.Ssh.Crypto;

/// <summary>
/// Each construction written out a second time from the specifications with BouncyCastle's other classes (RFC 8439
/// ChaCha7539Engine, GcmBlockCipher, SicBlockCipher) and compared packet by packet with what our classes send, over
/// many packets, so counters and sequence numbers carrying across packets are checked too.
/// </summary>
public sealed class ReferenceConstructionTests
{
    private static readonly int[] PayloadSizes = [0, 1, 17, 100, 1000, 5000, 33000, 3, 64];

    [Test]
    public void Chacha20_poly1305_matches_openssh_protocol_written_with_rfc_8439_chacha()
    {
        var random = new Random(41);
        var key = new byte[64];
        random.NextBytes(key);
        Assert.That(PacketProtectionSuite.TryResolve(CipherAlgorithm.ChaCha20Poly1305Name, null, out var suite), Is.True);
        using var sender = suite!.Create(key, [], []);
        for (var i = 0; i < PayloadSizes.Length; i++)
        {
            var sequence = uint.MaxValue - 3 + (uint)i;
            var payload = new byte[PayloadSizes[i]];
            random.NextBytes(payload);
            var (wire, plaintext) = ProtectionPairs.Seal(sender, sequence, payload, random);

            // RFC 8439's 12-byte nonce is 4 bytes of counter-high (zero here) and Bernstein's 8-byte nonce.
            var nonce = new byte[12];
            BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), sequence);
            var expected = new byte[wire.Length];
            ChaCha(key[32..], nonce, skipBlocks: 0, plaintext.AsSpan(0, 4), expected.AsSpan(0, 4));
            var polyKey = new byte[64];
            ChaCha(key[..32], nonce, skipBlocks: 0, polyKey, polyKey);
            ChaCha(key[..32], nonce, skipBlocks: 1, plaintext.AsSpan(4), expected.AsSpan(4, plaintext.Length - 4));
            var poly = new BcPoly1305();
            poly.Init(new KeyParameter(polyKey, 0, 32));
            poly.BlockUpdate(expected, 0, plaintext.Length);
            poly.DoFinal(expected, plaintext.Length);

            Assert.That(wire, Is.EqualTo(expected), $"packet {i}");
        }
    }

    [TestCase(CipherAlgorithm.Aes128GcmName)]
    [TestCase(CipherAlgorithm.Aes256GcmName)]
    public void Aes_gcm_matches_rfc_5647_written_with_bouncy_castle_gcm(string cipher)
    {
        var random = new Random(43);
        Assert.That(PacketProtectionSuite.TryResolve(cipher, null, out var suite), Is.True);
        var key = new byte[suite!.KeyLength];
        var iv = new byte[12];
        random.NextBytes(key);
        random.NextBytes(iv);
        iv.AsSpan(4).Fill(0xff); // the invocation counter wraps during the run
        iv[11] = 0xfd;
        using var sender = suite.Create(key, iv, []);
        var counter = BinaryPrimitives.ReadUInt64BigEndian(iv.AsSpan(4));
        for (var i = 0; i < PayloadSizes.Length; i++, counter++)
        {
            var payload = new byte[PayloadSizes[i]];
            random.NextBytes(payload);
            var (wire, plaintext) = ProtectionPairs.Seal(sender, (uint)i, payload, random);

            var nonce = iv.ToArray();
            BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), counter);
            var gcm = new GcmBlockCipher(new AesEngine());
            gcm.Init(true, new AeadParameters(new KeyParameter(key), 128, nonce, plaintext[..4]));
            var expected = new byte[wire.Length];
            plaintext.AsSpan(0, 4).CopyTo(expected);
            var written = gcm.ProcessBytes(plaintext, 4, plaintext.Length - 4, expected, 4);
            gcm.DoFinal(expected, 4 + written);

            Assert.That(wire, Is.EqualTo(expected), $"packet {i}");
        }
    }

    [TestCase(CipherAlgorithm.Aes128CtrName, MacAlgorithm.HmacSha256Name)]
    [TestCase(CipherAlgorithm.Aes256CtrName, MacAlgorithm.HmacSha512Name)]
    [TestCase(CipherAlgorithm.Aes128CtrName, MacAlgorithm.HmacSha512EtmName)]
    [TestCase(CipherAlgorithm.Aes256CtrName, MacAlgorithm.HmacSha256EtmName)]
    public void Aes_ctr_with_hmac_matches_rfc_4344_and_openssh_etm_written_with_bouncy_castle_ctr(string cipher, string macName)
    {
        var random = new Random(47);
        Assert.That(PacketProtectionSuite.TryResolve(cipher, macName, out var suite), Is.True);
        var key = new byte[suite!.KeyLength];
        var iv = new byte[16];
        var macKey = new byte[suite.MacKeyLength];
        random.NextBytes(key);
        random.NextBytes(iv);
        random.NextBytes(macKey);
        iv.AsSpan(8).Fill(0xff); // the low 64 bits of the counter carry into the high ones during the run
        using var sender = suite.Create(key, iv, macKey);

        // One CTR stream for the whole connection, as RFC 4344 says.
        var ctr = new SicBlockCipher(new AesEngine());
        ctr.Init(true, new ParametersWithIV(new KeyParameter(key), iv));
        var etm = suite.Mac!.EncryptThenMac;
        for (var i = 0; i < PayloadSizes.Length; i++)
        {
            var sequence = (uint)(i * 1000);
            var payload = new byte[PayloadSizes[i]];
            random.NextBytes(payload);
            var (wire, plaintext) = ProtectionPairs.Seal(sender, sequence, payload, random);

            var expected = new byte[wire.Length];
            plaintext.CopyTo(expected, 0);
            var encryptedFrom = etm ? 4 : 0;
            for (var offset = encryptedFrom; offset < plaintext.Length; offset += 16)
            {
                ctr.ProcessBlock(plaintext, offset, expected, offset);
            }

            var macInput = new byte[4 + plaintext.Length];
            BinaryPrimitives.WriteUInt32BigEndian(macInput, sequence);
            (etm ? expected : plaintext).AsSpan(0, plaintext.Length).CopyTo(macInput.AsSpan(4));
            var mac = suite.Mac.Length == 32 ? HMACSHA256.HashData(macKey, macInput) : HMACSHA512.HashData(macKey, macInput);
            mac.CopyTo(expected, plaintext.Length);

            Assert.That(wire, Is.EqualTo(expected), $"packet {i}");
        }
    }

    private static void ChaCha(byte[] key, byte[] nonce, int skipBlocks, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var engine = new ChaCha7539Engine();
        engine.Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        var skip = new byte[64 * skipBlocks];
        engine.ProcessBytes(skip, skip);
        engine.ProcessBytes(input, output);
    }
}
