using System.Reflection;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Ssh.Transport.Crypto;
using NUnit.Framework;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace HoopProxy.Tests.Unit.Ssh.Crypto;

/// <summary>
/// <see cref="OpenSshChaCha20"/> with each implementation forced (Vector256, Vector256Rows, Vector128, scalar):
/// published vectors, a long keystream across the counter's low-word wrap computed with OpenSSL, and BouncyCastle's
/// <see cref="ChaChaEngine"/> (Bernstein's layout) over random keys, nonces, lengths and starting blocks. Lengths up to
/// 2000 bytes cover several whole chunks (4 or 8 blocks) and every length of the last, partial one. With AVX-512 the
/// 256-bit implementations rotate with vprold; run the tests once more with DOTNET_EnableAVX512=0 to cover their
/// AVX2-only rotations.
/// </summary>
public sealed class ChaCha20Tests
{
    // By name: the enum is internal and test methods are public.
    private static readonly string[] Implementations = Enum.GetNames<ChaCha20Implementation>();

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    [TestCaseSource(nameof(Implementations))]
    public void Rfc_8439_block_vectors_hold_with_the_sequence_number_as_nonce(string implementation)
    {
        // A.1 #1 and #2: blocks 0 and 1 of the zero key and nonce; #5: block 0 with nonce 00000000 00000000 00000002,
        // which in Bernstein's layout (counter high word 0) is OpenSSH's nonce for sequence number 2.
        using var chacha = Create(new byte[32], implementation);
        var keystream = new byte[128];
        chacha.Apply(0, 0, keystream, keystream);
        Assert.That(Convert.ToHexStringLower(keystream), Is.EqualTo(
            "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586" +
            "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"));

        var block = new byte[64];
        chacha.Apply(2, 0, block, block);
        Assert.That(Convert.ToHexStringLower(block), Is.EqualTo(
            "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c78a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d"));
    }

    [TestCaseSource(nameof(Implementations))]
    public void Rfc_8439_encryption_vectors_hold(string implementation)
    {
        // A.2 #2 (375 bytes from block 1: whole chunks, then a partial one) and #3 (127 bytes from block 42). Both
        // nonces are 00000000 00000000 00000002: sequence number 2.
        const string Ietf = "Any submission to the IETF intended by the Contributor for publication as all or part of an IETF Internet-Draft or RFC and any statement made within the context of an IETF activity is considered an \"IETF Contribution\". Such statements include oral statements in IETF sessions, as well as written and electronic communications made at any time or place, which are addressed to";
        var key = new byte[32];
        key[31] = 1;
        Assert.That(Encrypt(key, implementation, 2, 1, Ietf), Is.EqualTo(
            "a3fbf07df3fa2fde4f376ca23e82737041605d9f4f4f57bd8cff2c1d4b7955ec2a97948bd3722915c8f3d337f7d370050e9e96d647b7c39f56e031ca5eb6250d" +
            "4042e02785ececfa4b4bb5e8ead0440e20b6e8db09d881a7c6132f420e52795042bdfa7773d8a9051447b3291ce1411c680465552aa6c405b7764d5e87bea85a" +
            "d00f8449ed8f72d0d662ab052691ca66424bc86d2df80ea41f43abf937d3259dc4b2d0dfb48a6c9139ddd7f76966e928e635553ba76c5c879d7b35d49eb2e62b" +
            "0871cdac638939e25e8a1e0ef9d5280fa8ca328b351c3c765989cbcf3daa8b6ccc3aaf9f3979c92b3720fc88dc95ed84a1be059c6499b9fda236e7e818b04b0b" +
            "c39c1e876b193bfe5569753f88128cc08aaa9b63d1a16f80ef2554d7189c411f5869ca52c5b83fa36ff216b9c1d30062bebcfd2dc5bce0911934fda79a86f6e6" +
            "98ced759c3ff9b6477338f3da4f9cd8514ea9982ccafb341b2384dd902f3d1ab7ac61dd29c6f21ba5b862f3730e37cfdc4fd806c22f221"));

        const string Jabberwocky = "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the borogoves,\nAnd the mome raths outgrabe.";
        Assert.That(Encrypt(Hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0"), implementation, 2, 42, Jabberwocky), Is.EqualTo(
            "62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf166d3df2d721caf9b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553eb" +
            "f39c6402c42234e32a356b3e764312a61a5532055716ead6962568f87d3f3f7704c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36757a797ac188d1"));
    }

    [TestCaseSource(nameof(Implementations))]
    public void The_block_counter_carries_into_its_high_word_as_openssl_computes(string implementation)
    {
        // 4096 bytes (64 blocks) from block 2^32 - 3, key 00 01 … 1f, nonce 07 06 … 00: the low word wraps inside the
        // first chunk of every implementation. SHA-256 of the keystream computed with Python's cryptography (OpenSSL's
        // ChaCha20, whose 16-byte IV is the 64-bit counter little-endian and the 8-byte nonce, carrying as OpenSSH does).
        using var chacha = Create(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), implementation);
        var keystream = new byte[4096];
        chacha.Apply(Hex("0706050403020100"), (1UL << 32) - 3, keystream, keystream);
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(keystream)), Is.EqualTo("7387bc918ecdd63448abf7aaa5767cddd28523989bc95ff2e506c8f5693f89df"));
    }

    [TestCaseSource(nameof(Implementations))]
    public void Every_length_up_to_2000_bytes_matches_bouncy_castle_around_the_low_word_wrap(string implementation)
    {
        var random = new Random(11);
        for (var length = 0; length <= 2000; length++)
        {
            // Start up to 40 blocks before the wrap: every split of the wrap between chunks and the scalar tail.
            var firstBlock = (1UL << 32) - (ulong)(length % 41);
            CompareWithBouncyCastle(implementation, random, length, firstBlock, inPlace: length % 2 == 0);
        }
    }

    [TestCaseSource(nameof(Implementations))]
    public void Random_keys_nonces_lengths_and_starting_blocks_match_bouncy_castle(string implementation)
    {
        var random = new Random(13);
        for (var i = 0; i < 400; i++)
        {
            ulong firstBlock = (i % 5) switch
            {
                0 => 0,
                1 => 1,
                2 => (ulong)random.Next(),
                3 => (1UL << 32) - (ulong)random.Next(1, 40),
                _ => (ulong)random.NextInt64() | ((ulong)random.Next(2) << 63),
            };
            CompareWithBouncyCastle(implementation, random, random.Next(0, 2001), firstBlock, inPlace: i % 3 != 0);
        }
    }

    [TestCaseSource(nameof(Implementations))]
    public void The_whole_64_bit_counter_wraps_to_zero_as_bouncy_castle_does(string implementation) =>
        CompareWithBouncyCastle(implementation, new Random(17), 1200, ulong.MaxValue - 5, inPlace: true);

    [TestCaseSource(nameof(Implementations))]
    public void Applying_allocates_nothing(string implementation)
    {
        using var chacha = Create(new byte[32], implementation);
        var buffer = new byte[33000];
        chacha.Apply(0, 1, buffer, buffer);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0u; i < 50; i++)
        {
            chacha.Apply(i, 1, buffer, buffer);
            chacha.Apply(i, 0, buffer.AsSpan(0, 4), buffer.AsSpan(0, 4));
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void Dispose_replaces_the_key_with_zeros()
    {
        var key = new byte[32];
        new Random(19).NextBytes(key);
        var chacha = new OpenSshChaCha20(key);
        chacha.Dispose();

        // What is observable of the key afterwards: the keystream is the all-zero key's (RFC 8439 A.1 #1).
        var keystream = new byte[64];
        chacha.Apply(0, 0, keystream, keystream);
        Assert.That(Convert.ToHexStringLower(keystream), Does.StartWith("76b8e0ada0f13d90405d6ae55386bd28"));
    }

    [Test]
    public void Spans_of_different_lengths_or_partly_overlapping_are_refused()
    {
        using var chacha = new OpenSshChaCha20(new byte[32]);
        var buffer = new byte[200];
        Assert.Throws<ArgumentException>(() => chacha.Apply(0, 0, buffer.AsSpan(0, 100), buffer.AsSpan(100, 99)));
        Assert.Throws<ArgumentException>(() => chacha.Apply(0, 0, buffer.AsSpan(0, 100), buffer.AsSpan(1, 100)));
        Assert.Throws<ArgumentException>(() => new OpenSshChaCha20(new byte[31]));
    }

    [Test]
    public void The_default_implementation_is_the_fastest_for_the_registers_the_machine_has()
    {
        // Eight blocks per step only with AVX-512VL's 32 registers; with AVX2 alone, two blocks per vector (16 registers).
        var expected = Avx2.IsSupported && Avx512F.VL.IsSupported ? ChaCha20Implementation.Vector256
            : Avx2.IsSupported ? ChaCha20Implementation.Vector256Rows
            : ChaCha20Implementations.IsSupported(ChaCha20Implementation.Vector128) ? ChaCha20Implementation.Vector128
            : ChaCha20Implementation.Scalar;
        using var chacha = new OpenSshChaCha20(new byte[32]);
        Assert.That(chacha.Implementation, Is.EqualTo(expected));
    }

    private static OpenSshChaCha20 Create(byte[] key, string implementationName)
    {
        var implementation = Enum.Parse<ChaCha20Implementation>(implementationName);
        if (!ChaCha20Implementations.IsSupported(implementation))
        {
            Assert.Ignore($"{implementation} is not accelerated on this machine");
        }

        return new OpenSshChaCha20(key, implementation);
    }

    private static string Encrypt(byte[] key, string implementation, uint sequenceNumber, ulong firstBlock, string text)
    {
        using var chacha = Create(key, implementation);
        var bytes = Encoding.ASCII.GetBytes(text);
        chacha.Apply(sequenceNumber, firstBlock, bytes, bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private static void CompareWithBouncyCastle(string implementation, Random random, int length, ulong firstBlock, bool inPlace)
    {
        var key = new byte[32];
        var nonce = new byte[8];
        var input = new byte[length];
        random.NextBytes(key);
        random.NextBytes(nonce);
        random.NextBytes(input);

        var expected = new byte[length];
        new PositionedChaChaEngine(key, nonce, firstBlock).ProcessBytes(input, expected);

        using var chacha = Create(key, implementation);
        var actual = inPlace ? input : new byte[length];
        chacha.Apply(nonce, firstBlock, input, actual);
        Assert.That(actual, Is.EqualTo(expected), $"{length} bytes from block {firstBlock:x16}, {(inPlace ? "in place" : "into another buffer")}");
    }

    /// <summary>BouncyCastle's ChaCha20 (64-bit counter in words 12–13, carried as OpenSSH does) started at any block.</summary>
    /// <remarks>
    /// BouncyCastle can only start at block 0, and skipping 2^32 blocks to reach the wrap is out of the question, so
    /// the counter words are written into its state array, which is internal: through reflection.
    /// </remarks>
    private sealed class PositionedChaChaEngine : ChaChaEngine
    {
        private static readonly FieldInfo EngineState =
            typeof(Salsa20Engine).GetField("engineState", BindingFlags.NonPublic | BindingFlags.Instance)
            ?? throw new InvalidOperationException("BouncyCastle's Salsa20Engine no longer has an engineState field");

        public PositionedChaChaEngine(byte[] key, byte[] nonce, ulong firstBlock)
            : base(20)
        {
            Init(true, new ParametersWithIV(new KeyParameter(key), nonce));
            var state = (uint[])EngineState.GetValue(this)!;
            state[12] = (uint)firstBlock;
            state[13] = (uint)(firstBlock >> 32);
        }
    }
}
