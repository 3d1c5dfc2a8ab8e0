using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Ssh.Transport.Crypto;
using NUnit.Framework;
using BcPoly1305 = Org.BouncyCastle.Crypto.Macs.Poly1305;
using KeyParameter = Org.BouncyCastle.Crypto.Parameters.KeyParameter;

namespace HoopProxy.Tests.Unit.Ssh.Crypto;

/// <summary>
/// Published vectors, run through our classes: RFC 8439 (ChaCha20 blocks, Poly1305), NIST SP 800-38A F.5.1/F.5.5
/// (AES-CTR), the GCM specification's test cases 3 and 15 (AES-GCM), RFC 4231 (HMAC-SHA2).
/// </summary>
public sealed class KnownAnswerTests
{
    // RFC 8439 A.1: test vectors 1 and 2 are blocks 0 and 1 of the all-zero key and nonce; vector 5 is block 0 with
    // nonce 00000000 00000000 00000002, which in Bernstein's layout is the 8-byte nonce of sequence number 2.
    private const string ZeroKeyBlock0 = "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586";
    private const string ZeroKeyBlock1 = "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f";
    private const string ZeroKeySequence2Block0 = "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c78a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d";

    // NIST SP 800-38A F.5: four blocks under the counter f0f1…ff.
    private const string CtrCounter = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    private const string CtrPlaintext = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    [Test]
    public void The_chacha20_engine_produces_rfc_8439_blocks_for_the_sequence_number_nonce()
    {
        using var chacha = new OpenSshChaCha20(new byte[32]);
        var keystream = new byte[128];
        chacha.Apply(0, 0, keystream, keystream);
        Assert.That(Convert.ToHexStringLower(keystream), Is.EqualTo(ZeroKeyBlock0 + ZeroKeyBlock1));

        var block = new byte[64];
        chacha.Apply(2, 0, block, block);
        Assert.That(Convert.ToHexStringLower(block), Is.EqualTo(ZeroKeySequence2Block0));
    }

    [Test]
    public void A_chacha20_poly1305_packet_under_the_zero_key_is_the_rfc_8439_keystream()
    {
        // K_1 = K_2 = 0, sequence 0: the length is XORed with block 0 of K_2, the rest with block 1 of K_1, and the
        // Poly1305 key is the first half of block 0 of K_1.
        Assert.That(PacketProtectionSuite.TryResolve(CipherAlgorithm.ChaCha20Poly1305Name, null, out var suite), Is.True);
        using var sender = suite!.Create(new byte[64], [], []);
        var wire = new byte[4 + 64 + 16];
        sender.Seal(0, wire.AsSpan(0, 68), wire.AsSpan(68));

        Assert.That(Convert.ToHexStringLower(wire.AsSpan(0, 4)), Is.EqualTo(ZeroKeyBlock0[..8]));
        Assert.That(Convert.ToHexStringLower(wire.AsSpan(4, 64)), Is.EqualTo(ZeroKeyBlock1));
        Assert.That(wire.AsSpan(68).ToArray(), Is.EqualTo(BouncyCastlePoly1305(Hex(ZeroKeyBlock0)[..32], wire.AsSpan(0, 68).ToArray())));
    }

    [Test]
    public void A_chacha20_poly1305_packet_matches_one_computed_independently()
    {
        // Computed with Python's cryptography (OpenSSL ChaCha20 with the 64-bit counter || nonce layout, and Poly1305)
        // following PROTOCOL.chacha20poly1305: key 00 01 … 3f, sequence 7, an SSH_MSG_SERVICE_REQUEST with 6 bytes of 0xa5 padding.
        var key = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        var plaintext = Hex("0000001806050000000c7373682d7573657261757468a5a5a5a5a5a5");
        var expected = Hex("a39afcb22e4315434e8f592d0440ce83b2fdb25940da9593db4698266a41e4a7ffc3112a72d36f8dafaf1239");
        Assert.That(PacketProtectionSuite.TryResolve(CipherAlgorithm.ChaCha20Poly1305Name, null, out var suite), Is.True);
        using var sender = suite!.Create(key, [], []);
        using var receiver = suite.Create(key, [], []);

        var wire = new byte[plaintext.Length + 16];
        plaintext.CopyTo(wire, 0);
        sender.Seal(7, wire.AsSpan(0, plaintext.Length), wire.AsSpan(plaintext.Length));
        Assert.That(Convert.ToHexStringLower(wire), Is.EqualTo(Convert.ToHexStringLower(expected)));

        Assert.That(receiver.ReadPacketLength(7, expected.AsSpan(0, 4)), Is.EqualTo(0x18u));
        var opened = new byte[plaintext.Length];
        Assert.That(receiver.TryOpen(7, expected, opened), Is.True);
        Assert.That(opened, Is.EqualTo(plaintext));
        Assert.That(PacketProtection.TryGetPayload(opened, out var payload), Is.True);
        Assert.That(Encoding.ASCII.GetString(payload[5..]), Is.EqualTo("ssh-userauth"));
    }

    [TestCase("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b", "43727970746f6772617068696320466f72756d2052657365617263682047726f7570", "a8061dc1305136c6c22b8baf0c0127a9")]
    [TestCase("0000000000000000000000000000000000000000000000000000000000000000", "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "00000000000000000000000000000000")]
    [TestCase("0200000000000000000000000000000000000000000000000000000000000000", "ffffffffffffffffffffffffffffffff", "03000000000000000000000000000000")]
    [TestCase("02000000000000000000000000000000ffffffffffffffffffffffffffffffff", "02000000000000000000000000000000", "03000000000000000000000000000000")]
    [TestCase("0100000000000000000000000000000000000000000000000000000000000000", "fffffffffffffffffffffffffffffffff0ffffffffffffffffffffffffffffff11000000000000000000000000000000", "05000000000000000000000000000000")]
    [TestCase("0100000000000000000000000000000000000000000000000000000000000000", "fffffffffffffffffffffffffffffffffbfefefefefefefefefefefefefefefe01010101010101010101010101010101", "00000000000000000000000000000000")]
    [TestCase("0200000000000000000000000000000000000000000000000000000000000000", "fdffffffffffffffffffffffffffffff", "faffffffffffffffffffffffffffffff")]
    public void Poly1305_matches_rfc_8439(string key, string message, string tag)
    {
        // §2.5.2, then A.3 #1 and the carry and reduction edge cases A.3 #5–#9.
        var computed = new byte[16];
        Poly1305.ComputeTag(Hex(key), Hex(message), computed);
        Assert.That(Convert.ToHexStringLower(computed), Is.EqualTo(tag));
    }

    [Test]
    public void Poly1305_agrees_with_bouncy_castle_on_every_length_up_to_300()
    {
        var random = new Random(31);
        for (var length = 0; length <= 300; length++)
        {
            var key = new byte[32];
            var message = new byte[length];
            random.NextBytes(key);
            random.NextBytes(message);
            if (length % 3 == 0)
            {
                message.AsSpan().Fill(0xff);
            }

            var ours = new byte[16];
            Poly1305.ComputeTag(key, message, ours);
            Assert.That(ours, Is.EqualTo(BouncyCastlePoly1305(key, message)), $"{length} bytes");
        }
    }

    [TestCase(CipherAlgorithm.Aes128CtrName, "2b7e151628aed2a6abf7158809cf4f3c", "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee")]
    [TestCase(CipherAlgorithm.Aes256CtrName, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6")]
    public void Aes_ctr_with_a_plain_hmac_encrypts_as_sp_800_38a_says_across_two_packets(string cipher, string key, string ciphertext)
    {
        // Two 32-byte packets: the second one must continue the counter where the first one stopped.
        var macKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        Assert.That(PacketProtectionSuite.TryResolve(cipher, MacAlgorithm.HmacSha256Name, out var suite), Is.True);
        using var sender = suite!.Create(Hex(key), Hex(CtrCounter), macKey);
        using var receiver = suite.Create(Hex(key), Hex(CtrCounter), macKey);
        var plaintext = Hex(CtrPlaintext);
        for (var packet = 0; packet < 2; packet++)
        {
            var wire = new byte[32 + 32];
            plaintext.AsSpan(packet * 32, 32).CopyTo(wire);
            sender.Seal((uint)packet, wire.AsSpan(0, 32), wire.AsSpan(32));

            Assert.That(Convert.ToHexStringLower(wire.AsSpan(0, 32)), Is.EqualTo(ciphertext.Substring(packet * 64, 64)));
            Assert.That(wire.AsSpan(32).ToArray(), Is.EqualTo(ReferenceHmac(HashAlgorithmName.SHA256, macKey, (uint)packet, plaintext.AsSpan(packet * 32, 32))));

            if (packet == 0)
            {
                // The NIST plaintext's first four bytes make no sensible length: the receiver decrypts them from the
                // first block alone, and the caller's check refuses them before any more is read.
                var length = receiver.ReadPacketLength(0, wire.AsSpan(0, 16));
                Assert.That(length, Is.EqualTo(0x6bc1bee2u));
                Assert.That(receiver.CheckPacketLength(length, 35000), Is.EqualTo(PacketLengthVerdict.TooLarge));
            }
        }
    }

    [TestCase(CipherAlgorithm.Aes128CtrName, "2b7e151628aed2a6abf7158809cf4f3c", "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee")]
    [TestCase(CipherAlgorithm.Aes256CtrName, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6")]
    public void Aes_ctr_with_an_etm_hmac_encrypts_after_the_clear_length_as_sp_800_38a_says(string cipher, string key, string ciphertext)
    {
        var macKey = Enumerable.Range(0, 64).Select(i => (byte)(255 - i)).ToArray();
        Assert.That(PacketProtectionSuite.TryResolve(cipher, MacAlgorithm.HmacSha512EtmName, out var suite), Is.True);
        using var sender = suite!.Create(Hex(key), Hex(CtrCounter), macKey);
        using var receiver = suite.Create(Hex(key), Hex(CtrCounter), macKey);
        var plaintext = new byte[4 + 64];
        BinaryPrimitives.WriteUInt32BigEndian(plaintext, 64);
        Hex(CtrPlaintext).CopyTo(plaintext, 4);

        var wire = new byte[plaintext.Length + 64];
        plaintext.CopyTo(wire, 0);
        sender.Seal(41, wire.AsSpan(0, plaintext.Length), wire.AsSpan(plaintext.Length));
        Assert.That(Convert.ToHexStringLower(wire.AsSpan(0, 4)), Is.EqualTo("00000040"));
        Assert.That(Convert.ToHexStringLower(wire.AsSpan(4, 64)), Is.EqualTo(ciphertext));
        Assert.That(wire.AsSpan(68).ToArray(), Is.EqualTo(ReferenceHmac(HashAlgorithmName.SHA512, macKey, 41, wire.AsSpan(0, 68))));

        Assert.That(receiver.ReadPacketLength(41, wire.AsSpan(0, 4)), Is.EqualTo(64u));
        var opened = new byte[68];
        Assert.That(receiver.TryOpen(41, wire, opened), Is.True);
        Assert.That(opened, Is.EqualTo(plaintext));
    }

    // The GCM specification's test cases 3 (AES-128) and 15 (AES-256): key, IV cafebabefacedbaddecaf888 and a
    // 64-byte plaintext. The ciphertext does not depend on the associated data, so it must be the published one; the
    // tags over our 4-byte length AAD, and the second packet (invocation counter + 1), were computed with Python's
    // cryptography package.
    [TestCase(CipherAlgorithm.Aes128GcmName, "feffe9928665731c6d6a8f9467308308",
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985", "e6114f6468325271e9b03b510a6dff85",
        "5c21c68aa9787c7294b2d7a47a6e8e4d8adafeea894bf504323d55f62afe5ba118a028444d260b032d4936a7a62acedcb095f614fed4092166b3c89f8bfb6a26", "18b9f3f32d9bd01561a21b00a1e07be5")]
    [TestCase(CipherAlgorithm.Aes256GcmName, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad", "4c94d832c068679ac9246e9aa8d1987a",
        "46446ebb3f662e2bc2c3b3306a49d8b172227f8aadbc2cbb429bf8f83863be0c01e49effabd136797d9e5813f35408172812c562f49719c09b9d6034b48c108a", "244a3a9811a09e1e9d1e8a41224a1e32")]
    public void Aes_gcm_encrypts_as_the_gcm_specification_says_and_advances_the_invocation_counter(
        string cipher, string key, string ciphertext1, string tag1, string ciphertext2, string tag2)
    {
        var iv = Hex("cafebabefacedbaddecaf888");
        var plaintext = new byte[4 + 64];
        BinaryPrimitives.WriteUInt32BigEndian(plaintext, 64);
        Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255").CopyTo(plaintext, 4);
        Assert.That(PacketProtectionSuite.TryResolve(cipher, null, out var suite), Is.True);
        using var sender = suite!.Create(Hex(key), iv, []);
        using var receiver = suite.Create(Hex(key), iv, []);

        foreach (var (ciphertext, tag, sequence) in new[] { (ciphertext1, tag1, 0u), (ciphertext2, tag2, 1u) })
        {
            var wire = new byte[68 + 16];
            plaintext.CopyTo(wire, 0);
            sender.Seal(sequence, wire.AsSpan(0, 68), wire.AsSpan(68));
            Assert.That(Convert.ToHexStringLower(wire), Is.EqualTo("00000040" + ciphertext + tag));

            Assert.That(receiver.ReadPacketLength(sequence, wire.AsSpan(0, 4)), Is.EqualTo(64u));
            Assert.That(receiver.TryOpen(sequence, wire, wire), Is.True);
            Assert.That(wire.AsSpan(0, 68).ToArray(), Is.EqualTo(plaintext));
        }
    }

    // RFC 4231 test cases 1 and 2. The MAC input is uint32 sequence || data, so the first four bytes of the test
    // message stand in the sequence number.
    [TestCase("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")]
    [TestCase("4a656665", "what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")]
    public void The_packet_mac_matches_rfc_4231(string key, string data, string sha256, string sha512)
    {
        var message = Encoding.ASCII.GetBytes(data);
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(message);
        foreach (var (hash, expected) in new[] { (HashAlgorithmName.SHA256, sha256), (HashAlgorithmName.SHA512, sha512) })
        {
            using var mac = new PacketMac(hash, Hex(key), expected.Length / 2);
            var computed = new byte[mac.Length];
            mac.Compute(sequence, message.AsSpan(4), computed);
            Assert.That(Convert.ToHexStringLower(computed), Is.EqualTo(expected), hash.Name);
            Assert.That(mac.Verify(sequence, message.AsSpan(4), computed), Is.True);
            computed[^1] ^= 1;
            Assert.That(mac.Verify(sequence, message.AsSpan(4), computed), Is.False);
        }
    }

    private static byte[] BouncyCastlePoly1305(byte[] key, byte[] message)
    {
        var mac = new BcPoly1305();
        mac.Init(new KeyParameter(key));
        mac.BlockUpdate(message, 0, message.Length);
        var tag = new byte[16];
        mac.DoFinal(tag, 0);
        return tag;
    }

    private static byte[] ReferenceHmac(HashAlgorithmName hash, byte[] key, uint sequence, ReadOnlySpan<byte> data)
    {
        var input = new byte[4 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(input, sequence);
        data.CopyTo(input.AsSpan(4));
        return hash == HashAlgorithmName.SHA256 ? HMACSHA256.HashData(key, input) : HMACSHA512.HashData(key, input);
    }
}
