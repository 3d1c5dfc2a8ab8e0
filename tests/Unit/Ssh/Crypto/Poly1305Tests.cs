using System.Text;
using HoopProxy.Ssh.Transport.Crypto;
using NUnit.Framework;
using BcPoly1305 = Org.BouncyCastle.Crypto.Macs.Poly1305;
using KeyParameter = Org.BouncyCastle.Crypto.Parameters.KeyParameter;

namespace HoopProxy.Tests.Unit.Ssh.Crypto;

/// <summary>
/// <see cref="Poly1305"/> with each implementation forced: RFC 8439's long vectors (long enough for the four-block
/// path), tags computed with OpenSSL for 32 KiB of all-ones under the all-ones key (every limb as large as it gets)
/// and for 4099 counting bytes, and BouncyCastle on every length up to 2000 bytes, so every split between four-block
/// groups and single blocks is compared.
/// </summary>
public sealed class Poly1305Tests
{
    // By name: the enum is internal and test methods are public.
    private static readonly string[] Implementations = Enum.GetNames<Poly1305Implementation>();

    private const string Ietf = "Any submission to the IETF intended by the Contributor for publication as all or part of an IETF Internet-Draft or RFC and any statement made within the context of an IETF activity is considered an \"IETF Contribution\". Such statements include oral statements in IETF sessions, as well as written and electronic communications made at any time or place, which are addressed to";

    [TestCaseSource(nameof(Implementations))]
    public void Rfc_8439_vectors_over_375_bytes_hold(string implementation)
    {
        // A.3 #2 (r = 0: the tag is s) and #3 (s = 0).
        Assert.That(Tag(implementation, "00000000000000000000000000000000" + "36e5f6b5c5e06070f0efca96227a863e", Encoding.ASCII.GetBytes(Ietf)),
            Is.EqualTo("36e5f6b5c5e06070f0efca96227a863e"));
        Assert.That(Tag(implementation, "36e5f6b5c5e06070f0efca96227a863e" + "00000000000000000000000000000000", Encoding.ASCII.GetBytes(Ietf)),
            Is.EqualTo("f3477e7cd95417af89a6b8794c310cf0"));
    }

    [TestCaseSource(nameof(Implementations))]
    public void Long_messages_match_tags_computed_with_openssl(string implementation)
    {
        // Python's cryptography (OpenSSL's Poly1305): all-ones key and 32781 bytes of 0xff; key 00 01 … 1f and 4099
        // bytes of i mod 256.
        Assert.That(Tag(implementation, new string('f', 64), Enumerable.Repeat((byte)0xff, 32768 + 13).ToArray()),
            Is.EqualTo("d3450938367dee63871b3585e966499d"));
        Assert.That(Tag(implementation, Convert.ToHexString(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()), Enumerable.Range(0, 4099).Select(i => (byte)i).ToArray()),
            Is.EqualTo("2b581e5660419c82e89ccaa48fe82dab"));
    }

    [TestCaseSource(nameof(Implementations))]
    public void Every_length_up_to_2000_bytes_matches_bouncy_castle(string implementation)
    {
        var random = new Random(23);
        for (var length = 0; length <= 2000; length++)
        {
            var key = new byte[32];
            var message = new byte[length];
            random.NextBytes(key);
            random.NextBytes(message);
            switch (length % 4)
            {
                case 0:
                    // The largest limbs: the carries and the final reduction at their limits.
                    key.AsSpan().Fill(0xff);
                    message.AsSpan().Fill(0xff);
                    break;
                case 1:
                    message.AsSpan().Fill(0xff);
                    break;
            }

            Assert.That(Tag(implementation, Convert.ToHexString(key), message), Is.EqualTo(BouncyCastleTag(key, message)), $"{length} bytes");
        }
    }

    [TestCaseSource(nameof(Implementations))]
    public void A_32_KiB_packet_with_random_keys_matches_bouncy_castle(string implementation)
    {
        var random = new Random(29);
        for (var i = 0; i < 20; i++)
        {
            var key = new byte[32];
            var message = new byte[32768 + 4 + 1 + 7 + i];
            random.NextBytes(key);
            random.NextBytes(message);
            Assert.That(Tag(implementation, Convert.ToHexString(key), message), Is.EqualTo(BouncyCastleTag(key, message)), $"key {i}");
        }
    }

    [Test]
    public void The_fastest_implementation_is_the_widest_one_accelerated()
    {
        var expected = Enum.GetValues<Poly1305Implementation>().Where(Poly1305Implementations.IsSupported).Max();
        Assert.That(Poly1305Implementations.Fastest, Is.EqualTo(expected));
    }

    private static string Tag(string implementationName, string keyHex, byte[] message)
    {
        var implementation = Enum.Parse<Poly1305Implementation>(implementationName);
        if (!Poly1305Implementations.IsSupported(implementation))
        {
            Assert.Ignore($"{implementation} is not accelerated on this machine");
        }

        var tag = new byte[Poly1305.TagSize];
        Poly1305.ComputeTag(Convert.FromHexString(keyHex), message, tag, implementation);
        return Convert.ToHexStringLower(tag);
    }

    private static string BouncyCastleTag(byte[] key, byte[] message)
    {
        var mac = new BcPoly1305();
        mac.Init(new KeyParameter(key));
        mac.BlockUpdate(message, 0, message.Length);
        var tag = new byte[16];
        mac.DoFinal(tag, 0);
        return Convert.ToHexStringLower(tag);
    }
}
