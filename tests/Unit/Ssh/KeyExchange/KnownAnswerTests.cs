using System.Buffers;
using System.Security.Cryptography;
using HoopProxy.Ssh.Transport.KeyExchange;
using HoopProxy.Ssh.Wire;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pqc.Crypto.NtruPrime;
using Org.BouncyCastle.Security;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.KeyExchange;

/// <summary>Published vectors and independent computations for the pieces of the key exchange.</summary>
public sealed class KnownAnswerTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    // RFC 7748 §6.1.
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string Rfc7748Shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [Test]
    public void Rfc_7748_x25519_vector_gives_K_as_a_32_byte_mpint()
    {
        using var alice = new X25519KeyPair(Hex(AlicePrivate));
        using var bob = new X25519KeyPair(Hex(BobPrivate));
        Assert.That(alice.PublicKey, Is.EqualTo(Hex(AlicePublic)));
        Assert.That(bob.PublicKey, Is.EqualTo(Hex(BobPublic)));

        using var fromAlice = Curve25519KeyExchange.Agree(alice, Hex(BobPublic), "curve25519-sha256");
        using var fromBob = Curve25519KeyExchange.Agree(bob, Hex(AlicePublic), "curve25519-sha256");
        // 0x4a has its top bit clear and is not zero: the mpint is the 32 bytes as they are (RFC 8731 §3.1).
        var expected = Hex("00000020" + Rfc7748Shared);
        Assert.That(fromAlice.Encoded.ToArray(), Is.EqualTo(expected));
        Assert.That(fromBob.Encoded.ToArray(), Is.EqualTo(expected));
        Assert.That(fromAlice.Encoding, Is.EqualTo(SharedSecretEncoding.Mpint));
    }

    // Each input is a whole 32-byte X25519 output.
    [TestCase("8011111111111111111111111111111111111111111111111111111111111111", "00000021" + "008011111111111111111111111111111111111111111111111111111111111111")]
    [TestCase("007f111111111111111111111111111111111111111111111111111111111111", "0000001f" + "7f111111111111111111111111111111111111111111111111111111111111")]
    [TestCase("0000ff1111111111111111111111111111111111111111111111111111111111", "0000001f" + "00ff1111111111111111111111111111111111111111111111111111111111")]
    public void An_x25519_output_becomes_an_mpint_by_rfc_4251_rules(string x25519Output, string expectedEncoding)
    {
        // RFC 8731 §3.1: an X25519 output with a set top bit gains a zero byte, leading zeros are dropped.
        Assert.That(Hex(x25519Output), Has.Length.EqualTo(32));
        using var secret = SharedSecret.FromMpintMagnitude(Hex(x25519Output));
        Assert.That(secret.Encoded.ToArray(), Is.EqualTo(Hex(expectedEncoding)));

        var buffer = new ArrayBufferWriter<byte>();
        new SshWriter(buffer).WritePositiveMpint(Hex(x25519Output));
        Assert.That(secret.Encoded.ToArray(), Is.EqualTo(buffer.WrittenSpan.ToArray()), "same rule as the wire writer");
    }

    // NIST CAVS 14.1 SSH KDF vectors (CAVP "KDF135" SSH set), as carried in OpenSSL's test/recipes/30-test_evp_data/evpkdf_ssh.txt.
    // K is given already encoded as an mpint, H and session_id raw.
    private const string CavsSha256K =
        "00000100745f5abd8fb685eaae10854a96900806cd7d17d2d255990328594a4fdbb9fa28088ccb8fbf92ef23492a595f92c49d5fa32ea5ef6d76000635fb58496c9db824aaa41b67c3c2e8bdd525f6c6a224562c670076f6efd21fe49222c2627596b775c56dff5d477cd4cc008ef566086a495cf4ba634af20a42fb13fa52597dc252edebdfa57592494fd9cd44d0f7e27d6a6ff370876c42733977db656d7372d553c2ffc824fb02375e55069d5cccb493ec77001fb4cd73cbec6976bd45ae2cc0812c078784d917c0a0a54d8df6c745a2710828939be0685d7fc1657eee9c4dbc71615fab0174e62fb7971fa20f6d6b2da1c22c0a35c781c9dbdf009cec3d89891afc";
    private const string CavsSha256H = "35f601a7877ef637d6c40b4f2e1d85b888eceac9f37e686254f9d707b22bd764";
    private const string CavsSha256SessionId = "d04bce75141ed2a44942d98354ded46e861da28fc1175e5a22e8dddad4942f9a";

    [TestCase(DerivedKey.InitialIvClientToServer, "88af3bdb49bd8e9d24489efc95dea1c1")]
    [TestCase(DerivedKey.InitialIvServerToClient, "5cf41e1d43f797c16a30e070f2f37dd4")]
    [TestCase(DerivedKey.EncryptionKeyClientToServer, "7cc48e0f8b4bdd63f76e41ba411d7f37")]
    [TestCase(DerivedKey.EncryptionKeyServerToClient, "37d942416267be06cd1ff9498dcf1e6e")]
    [TestCase(DerivedKey.IntegrityKeyClientToServer, "c3c8b48e228a3a671ae8c48aa4e4f1fe32c1ad4d5ae48c904836d13e7350f72e")]
    [TestCase(DerivedKey.IntegrityKeyServerToClient, "605f7d3b3f28a8967402ba67ff916a61b0a4e9b736665c5e911fb33f60dc16fe")]
    public void Cavs_sha256_ssh_kdf_vectors(DerivedKey key, string expected)
    {
        using var k = SharedSecretFromCavs(CavsSha256K);
        var derived = KeyDerivation.Derive(HashAlgorithmName.SHA256, k, Hex(CavsSha256H), Hex(CavsSha256SessionId), key, expected.Length / 2);
        Assert.That(Convert.ToHexStringLower(derived), Is.EqualTo(expected));
    }

    // SHA-1 vectors: 24-byte keys from a 20-byte hash, so the K1 || K2 extension is exercised against a published answer.
    private const string CavsSha1K =
        "0000008055bae931c07fd824bf10add1902b6fbc7c665347383498a686929ff5a25f8e40cb6645ea814fb1a5e0a11f852f86255641e5ed986e83a78bc8269480eac0b0dfd770cab92e7a28dd87ff452466d6ae867cead63b366b1c286e6c4811a9f14c27aea14c5171d49b78c06e3735d36e6a3be321dd5fc82308f34ee1cb17fba94a59";
    private const string CavsSha1H = "a4ebd45934f56792b5112dcd75a1075fdc889245";

    [TestCase(DerivedKey.EncryptionKeyClientToServer, "1ca9d310f86d51f6cb8e7007cb2b220d55c5281ce680b533")]
    [TestCase(DerivedKey.EncryptionKeyServerToClient, "2c60df8603d34cc1dbb03c11f725a44b44008851c73d6844")]
    [TestCase(DerivedKey.InitialIvClientToServer, "e2f627c0b43f1ac1")]
    public void Cavs_sha1_ssh_kdf_vectors_extend_past_one_hash(DerivedKey key, string expected)
    {
        using var k = SharedSecretFromCavs(CavsSha1K);
        var derived = KeyDerivation.Derive(HashAlgorithmName.SHA1, k, Hex(CavsSha1H), Hex(CavsSha1H), key, expected.Length / 2);
        Assert.That(Convert.ToHexStringLower(derived), Is.EqualTo(expected));
    }

    /// <summary>Rebuilds K from its magnitude, so the vectors also check that our mpint encoding is the one CAVS used.</summary>
    private static SharedSecret SharedSecretFromCavs(string encodedK)
    {
        var magnitude = new SshReader(Hex(encodedK)).ReadPositiveMpint().ToArray();
        var secret = SharedSecret.FromMpintMagnitude(magnitude);
        Assert.That(Convert.ToHexStringLower(secret.Encoded), Is.EqualTo(encodedK));
        return secret;
    }

    [TestCase(SharedSecretEncoding.String, 64, 100)]
    [TestCase(SharedSecretEncoding.Mpint, 32, 65)]
    [TestCase(SharedSecretEncoding.String, 32, 0)]
    public void Derivation_matches_rfc_4253_written_out_by_hand(SharedSecretEncoding encoding, int secretLength, int length)
    {
        var raw = RandomNumberGenerator.GetBytes(secretLength);
        raw[0] |= 0x80; // makes the two encodings differ, so using the wrong one would show
        using var k = encoding == SharedSecretEncoding.String ? SharedSecret.FromString(raw) : SharedSecret.FromMpintMagnitude(raw);
        var h = RandomNumberGenerator.GetBytes(64);
        var sessionId = RandomNumberGenerator.GetBytes(64);

        var encodedK = encoding == SharedSecretEncoding.String
            ? [.. BigEndian((uint)raw.Length), .. raw]
            : (byte[])[.. BigEndian((uint)raw.Length + 1), 0, .. raw];
        var expected = SHA512.HashData([.. encodedK, .. h, (byte)'C', .. sessionId]);
        while (expected.Length < length)
        {
            expected = [.. expected, .. SHA512.HashData([.. encodedK, .. h, .. expected])];
        }

        var derived = KeyDerivation.Derive(HashAlgorithmName.SHA512, k, h, sessionId, DerivedKey.EncryptionKeyClientToServer, length);
        Assert.That(derived, Is.EqualTo(expected[..length]));
    }

    [Test]
    public void Exchange_hash_is_rfc_5656_concatenation_written_out_by_hand()
    {
        var clientValue = RandomNumberGenerator.GetBytes(32);
        var serverValue = RandomNumberGenerator.GetBytes(32);
        var input = KeyExchangeMethodTests.SampleInput(clientValue, serverValue);
        using var k = SharedSecret.FromMpintMagnitude(Hex(Rfc7748Shared));

        byte[] S(ReadOnlyMemory<byte> bytes) => [.. BigEndian((uint)bytes.Length), .. bytes.Span];
        var expected = SHA256.HashData([
            .. S(input.ClientVersion), .. S(input.ServerVersion), .. S(input.ClientKexInit), .. S(input.ServerKexInit),
            .. S(input.ServerHostKey), .. S(clientValue), .. S(serverValue), .. Hex("00000020" + Rfc7748Shared)]);

        Assert.That(ExchangeHash.Compute(HashAlgorithmName.SHA256, input, k), Is.EqualTo(expected));
    }

    [Test]
    public void Exchange_hash_refuses_a_version_with_its_line_end_or_a_kexinit_without_its_message_number()
    {
        using var k = SharedSecret.FromString([1]);
        var input = KeyExchangeMethodTests.SampleInput(new byte[32], new byte[32]);
        Assert.Throws<ArgumentException>(() => ExchangeHash.Compute(HashAlgorithmName.SHA256, input with { ClientVersion = "SSH-2.0-x\r\n"u8.ToArray() }, k));
        Assert.Throws<ArgumentException>(() => ExchangeHash.Compute(HashAlgorithmName.SHA256, input with { ServerKexInit = new byte[] { 1, 2 } }, k));
    }

    [TestCase("80")]
    [TestCase("00")]
    public void Hybrid_K_is_a_string_and_as_an_mpint_H_would_differ(string firstByte)
    {
        // The trap: OpenSSH writes the hybrid methods' K = HASH(...) with sshbuf_put_string. Written as an mpint, a digest
        // starting 0x80..0xff gains a zero byte and one starting 0x00 loses it, so H (and the keys) would not match the
        // peer's in about half of all exchanges. (For digests starting 0x01..0x7f the two encodings coincide, which is
        // why an interop test alone can pass by luck.)
        var digest = Hex(firstByte + "112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        using var asString = SharedSecret.FromString(digest);
        using var asMpint = SharedSecret.FromMpintMagnitude(digest);
        var input = KeyExchangeMethodTests.SampleInput(new byte[1216], new byte[1120]);

        Assert.That(asString.Encoded.ToArray(), Is.EqualTo((byte[])[0, 0, 0, 32, .. digest]));
        Assert.That(ExchangeHash.Compute(HashAlgorithmName.SHA256, input, asMpint),
            Is.Not.EqualTo(ExchangeHash.Compute(HashAlgorithmName.SHA256, input, asString)));
    }

    [Test]
    public void Mlkem768x25519_client_K_is_sha256_of_kem_secret_then_x25519_secret_as_a_string()
    {
        // A server built here from the primitives, in OpenSSH's layout (kex_kem_mlkem768x25519_enc), independent of ours.
        KeyExchangeMethods.TryGet("mlkem768x25519-sha256", out var method);
        using var client = method!.CreateClient();
        var clientValue = client.ClientValue.ToArray();

        var encapsulator = new MLKemEncapsulator(MLKemParameters.ml_kem_768);
        encapsulator.Init(new ParametersWithRandom(MLKemPublicKeyParameters.FromEncoding(MLKemParameters.ml_kem_768, clientValue[..1184]), new SecureRandom()));
        var ciphertext = new byte[1088];
        var kemSecret = new byte[32];
        encapsulator.Encapsulate(ciphertext, kemSecret);

        var (serverPublic, x25519Secret) = ServerX25519(clientValue[1184..]);
        using var k = client.ComputeSharedSecret([.. ciphertext, .. serverPublic]);

        var expected = SHA256.HashData([.. kemSecret, .. x25519Secret]);
        Assert.That(k.Encoded.ToArray(), Is.EqualTo((byte[])[0, 0, 0, 32, .. expected]));
    }

    [Test]
    public void Sntrup761x25519_client_K_is_sha512_of_kem_secret_then_x25519_secret_as_a_string()
    {
        KeyExchangeMethods.TryGet("sntrup761x25519-sha512", out var method);
        using var client = method!.CreateClient();
        var clientValue = client.ClientValue.ToArray();

        var encapsulated = new SNtruPrimeKemGenerator(new SecureRandom())
            .GenerateEncapsulated(new SNtruPrimePublicKeyParameters(SNtruPrimeParameters.sntrup761, clientValue[..1158]));
        var (serverPublic, x25519Secret) = ServerX25519(clientValue[1158..]);
        using var k = client.ComputeSharedSecret([.. encapsulated.GetEncapsulation(), .. serverPublic]);

        var expected = SHA512.HashData([.. encapsulated.GetSecret(), .. x25519Secret]);
        Assert.That(k.Encoded.ToArray(), Is.EqualTo((byte[])[0, 0, 0, 64, .. expected]));
    }

    [Test]
    public void Bouncycastle_sntrup761_decapsulates_what_openssh_sntrup761_c_encapsulated()
    {
        var key = new SNtruPrimePrivateKeyParameters(SNtruPrimeParameters.sntrup761, Hex(OpenSshKemVectors.Sntrup761SecretKey));
        var secret = new byte[32];
        Sntrup761.Instance.Decapsulate(key, Hex(OpenSshKemVectors.Sntrup761Ciphertext), secret);
        Assert.That(Convert.ToHexStringLower(secret), Is.EqualTo(OpenSshKemVectors.Sntrup761SharedSecret));
    }

    [Test]
    public void Bouncycastle_mlkem768_matches_openssh_libcrux_keys_and_decapsulation()
    {
        var key = MLKemPrivateKeyParameters.FromSeed(MLKemParameters.ml_kem_768, Hex(OpenSshKemVectors.MlKem768Seed));
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(key.GetPublicKeyEncoded())), Is.EqualTo(OpenSshKemVectors.MlKem768EncapsulationKeySha256));
        var secret = new byte[32];
        MlKem768.Instance.Decapsulate(key, Hex(OpenSshKemVectors.MlKem768Ciphertext), secret);
        Assert.That(Convert.ToHexStringLower(secret), Is.EqualTo(OpenSshKemVectors.MlKem768SharedSecret));
    }

    private static (byte[] Public, byte[] Secret) ServerX25519(byte[] clientPublic)
    {
        var scalar = RandomNumberGenerator.GetBytes(32);
        var serverPublic = new byte[32];
        var secret = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc7748.X25519.ScalarMultBase(scalar, serverPublic);
        Org.BouncyCastle.Math.EC.Rfc7748.X25519.ScalarMult(scalar, clientPublic, secret);
        return (serverPublic, secret);
    }

    private static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
