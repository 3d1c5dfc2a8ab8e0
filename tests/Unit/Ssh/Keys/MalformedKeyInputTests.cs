using System.Buffers;
using System.Security.Cryptography;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Wire;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Keys;

/// <summary>
/// The documented behaviour on bad input: a signature that is wrong in any way is <c>false</c> (never an exception);
/// a malformed key blob is <see cref="SshProtocolException"/> (never another exception type); a bad line is
/// <see cref="FormatException"/>; a bad key file is <see cref="SshKeyFileException"/> without key material.
/// </summary>
public sealed class MalformedKeyInputTests
{
    private static readonly byte[] Data = "exchange hash stand-in"u8.ToArray();

    private static SshPrivateKey[] _keys = null!;

    [OneTimeSetUp]
    public static void MakeKeys() => _keys =
    [
        SshPrivateKey.GenerateEd25519(),
        RsaPrivateKey.FromRsa(RSA.Create(2048)),
        EcdsaP256PrivateKey.FromECDsa(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
    ];

    [OneTimeTearDown]
    public static void DisposeKeys()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }

    public static IEnumerable<TestCaseData> Signers()
    {
        yield return new TestCaseData(0, SshKeyAlgorithms.Ed25519).SetArgDisplayNames(SshKeyAlgorithms.Ed25519);
        yield return new TestCaseData(1, SshKeyAlgorithms.RsaSha256).SetArgDisplayNames(SshKeyAlgorithms.RsaSha256);
        yield return new TestCaseData(1, SshKeyAlgorithms.RsaSha512).SetArgDisplayNames(SshKeyAlgorithms.RsaSha512);
        yield return new TestCaseData(2, SshKeyAlgorithms.EcdsaP256).SetArgDisplayNames(SshKeyAlgorithms.EcdsaP256);
    }

    [TestCaseSource(nameof(Signers))]
    public void A_good_signature_verifies_and_every_flipped_bit_position_is_refused(int keyIndex, string algorithm)
    {
        var key = _keys[keyIndex];
        var blob = key.Sign(algorithm, Data);
        Assert.That(key.PublicKey.Verify(algorithm, Data, blob), Is.True);
        Assert.That(key.PublicKey.Verify(algorithm, [.. Data, 0], blob), Is.False, "other data");
        Assert.That(key.PublicKey.Verify(algorithm, Data[..^1], blob), Is.False, "shorter data");

        for (var i = 0; i < blob.Length; i++)
        {
            var tampered = (byte[])blob.Clone();
            tampered[i] ^= (byte)(1 << (i % 8));
            Assert.That(key.PublicKey.Verify(algorithm, Data, tampered), Is.False, $"byte {i} flipped");
        }
    }

    [TestCaseSource(nameof(Signers))]
    public void Truncated_or_extended_signature_blobs_are_refused(int keyIndex, string algorithm)
    {
        var key = _keys[keyIndex];
        var blob = key.Sign(algorithm, Data);
        for (var length = 0; length < blob.Length; length++)
        {
            Assert.That(key.PublicKey.Verify(algorithm, Data, blob.AsSpan(0, length)), Is.False, $"{length} of {blob.Length} bytes");
        }

        Assert.That(key.PublicKey.Verify(algorithm, Data, [.. blob, 0]), Is.False, "a trailing byte");
    }

    [TestCaseSource(nameof(Signers))]
    public void The_algorithm_name_inside_must_be_the_one_negotiated_and_fit_the_key(int keyIndex, string algorithm)
    {
        var key = _keys[keyIndex];
        var blob = key.Sign(algorithm, Data);
        string[] others = [SshKeyAlgorithms.Ed25519, SshKeyAlgorithms.Rsa, SshKeyAlgorithms.RsaSha256, SshKeyAlgorithms.RsaSha512, SshKeyAlgorithms.EcdsaP256, "none", ""];
        foreach (var other in others.Where(o => o != algorithm))
        {
            // Negotiated something else: the blob's name does not match.
            Assert.That(key.PublicKey.Verify(other, Data, blob), Is.False, $"negotiated {other}");

            // The blob relabelled to another name, with the negotiated name matching the label.
            var relabelled = Relabel(blob, other);
            Assert.That(key.PublicKey.Verify(other, Data, relabelled), Is.False, $"relabelled {other}");
            Assert.That(key.PublicKey.Verify(algorithm, Data, relabelled), Is.False, $"relabelled {other}, negotiated {algorithm}");
        }
    }

    [Test]
    public void Legacy_sha1_rsa_signatures_are_refused_unless_asked_for()
    {
        var rsaKey = (RsaPrivateKey)_keys[1];
        // Our signer refuses SHA-1, so the legacy signature comes from .NET directly, with a key whose public half we wrap.
        using var legacy = RSA.Create(2048);
        var publicKey = RsaPublicKey.FromParameters(legacy.ExportParameters(false));
        var blob = SignatureBlob(SshKeyAlgorithms.Rsa, legacy.SignData(Data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1));

        Assert.That(publicKey.SignatureAlgorithms, Does.Not.Contain(SshKeyAlgorithms.Rsa));
        Assert.That(publicKey.Verify(SshKeyAlgorithms.Rsa, Data, blob), Is.False);
        Assert.That(publicKey.Verify(SshKeyAlgorithms.Rsa, Data, blob, allowSha1Rsa: true), Is.True);
        Assert.That(publicKey.Verify(SshKeyAlgorithms.RsaSha256, Data, Relabel(blob, SshKeyAlgorithms.RsaSha256)), Is.False);
        Assert.Throws<ArgumentException>(() => rsaKey.Sign(SshKeyAlgorithms.Rsa, Data));
        Assert.Throws<ArgumentException>(() => _keys[0].Sign(SshKeyAlgorithms.RsaSha256, Data));
    }

    [Test]
    public void Ecdsa_signatures_with_zero_negative_or_oversized_scalars_are_refused()
    {
        var key = _keys[2].PublicKey;
        byte[][] bad =
        [
            Inner(w => { w.WriteUInt32(0); w.WriteUInt32(0); }),
            Inner(w => { w.WriteString([0x80]); w.WriteString([1]); }),
            Inner(w => { w.WritePositiveMpint(new byte[33].Select(_ => (byte)0x7f).ToArray()); w.WritePositiveMpint([1]); }),
            Inner(w => { w.WritePositiveMpint([1]); w.WritePositiveMpint([1]); w.WriteByte(0); }),
        ];
        foreach (var signature in bad)
        {
            Assert.That(key.Verify(SshKeyAlgorithms.EcdsaP256, Data, SignatureBlob(SshKeyAlgorithms.EcdsaP256, signature)), Is.False);
        }

        static byte[] Inner(Action<SshWriter> write) => Written(write);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    public void Every_truncation_of_a_key_blob_is_a_protocol_error(int keyIndex)
    {
        var blob = _keys[keyIndex].PublicKey.Blob.ToArray();
        Assert.That(SshPublicKey.ParseBlob(blob), Is.EqualTo(_keys[keyIndex].PublicKey));
        for (var length = 0; length < blob.Length; length++)
        {
            Assert.Throws<SshProtocolException>(() => SshPublicKey.ParseBlob(blob.AsSpan(0, length)), $"{length} of {blob.Length} bytes");
            Assert.That(SshPublicKey.TryParseBlob(blob.AsSpan(0, length), out _, out var error), Is.False);
            Assert.That(error, Is.Not.Null);
        }

        Assert.Throws<SshProtocolException>(() => SshPublicKey.ParseBlob([.. blob, 0]), "a trailing byte");
    }

    [Test]
    public void Invalid_keys_are_protocol_errors()
    {
        var ed25519NotOnCurve = Written(w => { w.WriteUtf8("ssh-ed25519"); w.WriteString(Enumerable.Repeat((byte)0xff, 32).ToArray()); });
        var ecdsaNotOnCurve = Written(w => { w.WriteUtf8("ecdsa-sha2-nistp256"); w.WriteUtf8("nistp256"); w.WriteString([4, .. new byte[31], 1, .. new byte[31], 1]); });
        var ecdsaOtherCurve = Written(w => { w.WriteUtf8("ecdsa-sha2-nistp256"); w.WriteUtf8("nistp384"); w.WriteString(new byte[65]); });
        var rsaSmall = Written(w => { w.WriteUtf8("ssh-rsa"); w.WritePositiveMpint([1, 0, 1]); w.WritePositiveMpint(Enumerable.Repeat((byte)0xff, 64).ToArray()); });
        var rsaEvenExponent = Written(w => { w.WriteUtf8("ssh-rsa"); w.WritePositiveMpint([2]); w.WritePositiveMpint(Enumerable.Repeat((byte)0xff, 256).ToArray()); });
        var unknown = Written(w => { w.WriteUtf8("ssh-dss"); w.WriteString(new byte[20]); });
        foreach (var (blob, reason) in new[]
                 {
                     (ed25519NotOnCurve, "curve point"), (ecdsaNotOnCurve, "point on the curve"), (ecdsaOtherCurve, "nistp384"),
                     (rsaSmall, "outside"), (rsaEvenExponent, "exponent"), (unknown, "unsupported public key type 'ssh-dss'"),
                 })
        {
            var error = Assert.Throws<SshProtocolException>(() => SshPublicKey.ParseBlob(blob));
            Assert.That(error!.Message, Does.Contain(reason));
        }
    }

    [Test]
    public void Random_bytes_are_never_anything_but_false_or_a_protocol_error()
    {
        var random = new Random(4253);
        var prefixes = new[] { "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "rsa-sha2-512" };
        for (var i = 0; i < 3000; i++)
        {
            var noise = new byte[random.Next(0, 300)];
            random.NextBytes(noise);
            var prefix = prefixes[i % prefixes.Length];
            var blob = Written(w => { w.WriteUtf8(prefix); w.WriteRaw(noise); });
            foreach (var candidate in new[] { noise, blob })
            {
                try
                {
                    SshPublicKey.ParseBlob(candidate);
                }
                catch (SshProtocolException)
                {
                }

                foreach (var key in _keys)
                {
                    foreach (var algorithm in key.SignatureAlgorithms)
                    {
                        Assert.That(key.PublicKey.Verify(algorithm, Data, candidate), Is.False);
                    }
                }
            }
        }
    }

    [TestCase("command=\"echo hi\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG", "options before the key type")]
    [TestCase("restrict ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG", "options before the key type")]
    [TestCase("no-pty,from=\"10.0.0.0/8\" ssh-ed25519 AAAA", "options before the key type")]
    [TestCase("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "unsupported public key type 'ssh-dss'")]
    [TestCase("ssh-ed25519", "no key data")]
    [TestCase("ssh-ed25519 !!!notbase64", "not valid base64")]
    [TestCase("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "not a valid key")]
    [TestCase("", "empty line")]
    public void Bad_authorized_keys_lines_say_what_is_wrong(string line, string reason)
    {
        var error = Assert.Throws<FormatException>(() => AuthorizedKey.Parse(line));
        Assert.That(error!.Message, Does.Contain(reason));
    }

    [Test]
    public void A_line_whose_type_disagrees_with_its_blob_is_refused_and_files_report_line_numbers()
    {
        var ed25519 = _keys[0].PublicKey;
        var lying = "ssh-rsa " + Convert.ToBase64String(ed25519.Blob.Span) + " liar";
        Assert.That(Assert.Throws<FormatException>(() => AuthorizedKey.Parse(lying))!.Message, Does.Contain("names ssh-rsa but its key data is a ssh-ed25519 key"));

        var text = $"# keys\n\n{ed25519.ToOpenSshLine("alice@laptop with spaces")}\n{_keys[2].PublicKey.ToOpenSshLine()}\n";
        var keys = AuthorizedKey.ParseLines(text);
        Assert.That(keys.Select(k => k.Key), Is.EqualTo(new[] { ed25519, _keys[2].PublicKey }));
        Assert.That(keys[0].Comment, Is.EqualTo("alice@laptop with spaces"));
        Assert.That(keys[1].Comment, Is.Empty);
        Assert.That(Assert.Throws<FormatException>(() => AuthorizedKey.ParseLines(text + "restrict " + ed25519.ToOpenSshLine()))!.Message,
            Does.StartWith("line 5:"));
    }

    [Test]
    public void Private_keys_never_show_their_material()
    {
        foreach (var key in _keys)
        {
            var text = key.ToString();
            Assert.That(text, Is.EqualTo($"{key.PublicKey.KeyType} private key {key.PublicKey.Fingerprint}"));
        }

        using var rsa = RSA.Create(2048);
        var d = Convert.ToBase64String(rsa.ExportParameters(true).D!);
        using var key2 = RsaPrivateKey.FromRsa(rsa);
        Assert.That(key2.ToString(), Does.Not.Contain(d));
    }

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_corrupt_openssh_key_file_is_refused_without_showing_key_bytes()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hoopproxy-keys-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            var path = Path.Combine(directory, "key");
            SshPrivateKeyFile.Write(path, _keys[0], "c");
            Assert.Throws<IOException>(() => SshPrivateKeyFile.Write(path, _keys[0], "c"), "never overwrites");

            var text = File.ReadAllText(path);
            var begin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
            var binary = Convert.FromBase64String(text[begin.Length..text.IndexOf("-----END", StringComparison.Ordinal)].Replace("\n", ""));
            // Every single-byte corruption is either caught by a structural check or by the self-test; none loads
            // a different key, and none fails with anything but SshKeyFileException.
            for (var i = 0; i < binary.Length; i++)
            {
                var corrupt = (byte[])binary.Clone();
                corrupt[i] ^= 0x41;
                File.WriteAllText(path, PemEncoding.WriteString("OPENSSH PRIVATE KEY", corrupt));
                try
                {
                    using var loaded = SshPrivateKeyFile.Load(path);
                    // Only the comment (and nothing else) may change without the file being refused.
                    Assert.That(loaded.PublicKey, Is.EqualTo(_keys[0].PublicKey), $"byte {i}");
                }
                catch (SshKeyFileException e)
                {
                    Assert.That(e.Message, Does.StartWith($"'{path}': "));
                    Assert.That(e.Message, Does.Not.Contain(Convert.ToBase64String(binary.AsSpan(binary.Length - 60, 20))));
                }
            }

            File.WriteAllText(path, "ssh-ed25519 AAAA not a private key");
            Assert.That(Assert.Throws<SshKeyFileException>(() => SshPrivateKeyFile.Load(path))!.Message, Does.Contain("holds no PEM private key"));
            Assert.That(Assert.Throws<SshKeyFileException>(() => SshPrivateKeyFile.Load(Path.Combine(directory, "missing")))!.Message, Does.Contain("cannot be read"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static byte[] Written(Action<SshWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new SshWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] SignatureBlob(string algorithm, byte[] signature) => Written(w =>
    {
        w.WriteUtf8(algorithm);
        w.WriteString(signature);
    });

    private static byte[] Relabel(byte[] blob, string algorithm)
    {
        var reader = new SshReader(blob);
        reader.ReadString();
        return SignatureBlob(algorithm, reader.ReadString().ToArray());
    }
}
