using HoopProxy.Ssh.Transport.Crypto;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Crypto;

/// <summary>The names we offer, in order, and the key sizes each tells the key derivation.</summary>
public sealed class PacketProtectionSuiteTests
{
    [Test]
    public void We_offer_the_ciphers_and_macs_in_our_preference_order()
    {
        Assert.That(CipherAlgorithm.Preferred.Select(c => c.Name), Is.EqualTo(new[]
        {
            "chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr",
        }));
        Assert.That(MacAlgorithm.Preferred.Select(m => m.Name), Is.EqualTo(new[]
        {
            "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
        }));
    }

    [TestCase("chacha20-poly1305@openssh.com", null, 64, 0, 0, 8, 16)]
    [TestCase("chacha20-poly1305@openssh.com", "hmac-sha2-512", 64, 0, 0, 8, 16)]
    [TestCase("aes128-gcm@openssh.com", null, 16, 12, 0, 16, 16)]
    [TestCase("aes256-gcm@openssh.com", "hmac-sha2-256", 32, 12, 0, 16, 16)]
    [TestCase("aes128-ctr", "hmac-sha2-256", 16, 16, 32, 16, 32)]
    [TestCase("aes256-ctr", "hmac-sha2-512", 32, 16, 64, 16, 64)]
    [TestCase("aes128-ctr", "hmac-sha2-256-etm@openssh.com", 16, 16, 32, 16, 32)]
    [TestCase("aes256-ctr", "hmac-sha2-512-etm@openssh.com", 32, 16, 64, 16, 64)]
    public void A_suite_states_its_key_sizes_and_makes_a_matching_protection(
        string cipher, string? mac, int keyLength, int ivLength, int macKeyLength, int blockSize, int tagLength)
    {
        Assert.That(PacketProtectionSuite.TryResolve(cipher, mac, out var suite), Is.True);
        Assert.That((suite!.KeyLength, suite.IvLength, suite.MacKeyLength), Is.EqualTo((keyLength, ivLength, macKeyLength)));
        Assert.That(suite.Mac is null, Is.EqualTo(suite.Cipher.IsAuthenticated), "an AEAD cipher ignores the MAC name");

        using var protection = suite.Create(new byte[keyLength], new byte[ivLength], new byte[macKeyLength]);
        Assert.That((protection.BlockSize, protection.TagLength), Is.EqualTo((blockSize, tagLength)));
        var etmOrAead = suite.Mac is null || suite.Mac.EncryptThenMac;
        Assert.That(protection.AlignmentCoversLengthField, Is.EqualTo(!etmOrAead));
        Assert.That(protection.BytesNeededForLength, Is.EqualTo(etmOrAead ? 4 : 16));

        Assert.Throws<ArgumentException>(() => suite.Create(new byte[keyLength + 1], new byte[ivLength], new byte[macKeyLength]));
    }

    [TestCase("aes128-cbc", "hmac-sha2-256")]
    [TestCase("aes128-ctr", null)]
    [TestCase("aes128-ctr", "hmac-sha1")]
    [TestCase("AES128-CTR", "hmac-sha2-256")]
    public void Unknown_names_or_a_missing_mac_do_not_resolve(string cipher, string? mac)
    {
        Assert.That(PacketProtectionSuite.TryResolve(cipher, mac, out var suite), Is.False);
        Assert.That(suite, Is.Null);
    }

    [Test]
    public void None_is_eight_byte_aligned_in_clear_with_no_mac()
    {
        using var none = PacketProtection.CreateNone();
        Assert.That((none.Name, none.BlockSize, none.TagLength, none.BytesNeededForLength, none.AlignmentCoversLengthField),
            Is.EqualTo(("none", 8, 0, 4, true)));
    }
}
