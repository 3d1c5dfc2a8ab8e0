using System.Text;
using HoopProxy.Ssh.Keys;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.Keys;

/// <summary>
/// Our key code against OpenSSH's own ssh-keygen: the keys it makes load to the same public key and fingerprint, the
/// signatures it makes verify with our verifier, and the signatures we make pass its checker — for every key type
/// and both RSA hashes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes; ssh-keygen
public sealed class KeygenInteropTests
{
    private SshKeygen _keygen = null!;

    private static readonly byte[] Message = Encoding.UTF8.GetBytes("the message OpenSSH and HoopProxy both sign\n");

    public static IEnumerable<TestCaseData> KeyTypes()
    {
        yield return new TestCaseData("ed25519", null, SshKeyAlgorithms.Ed25519, SshKeyAlgorithms.Ed25519).SetArgDisplayNames("ed25519");
        yield return new TestCaseData("rsa", 3072, SshKeyAlgorithms.Rsa, SshKeyAlgorithms.RsaSha512).SetArgDisplayNames("rsa-3072");
        yield return new TestCaseData("ecdsa", 256, SshKeyAlgorithms.EcdsaP256, SshKeyAlgorithms.EcdsaP256).SetArgDisplayNames("ecdsa-256");
    }

    [SetUp]
    public void SetUp()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hoopproxy-keys-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        _keygen = new SshKeygen(directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_keygen.Directory, recursive: true);

    [TestCaseSource(nameof(KeyTypes))]
    public void A_key_made_by_ssh_keygen_loads_to_the_same_public_key_and_fingerprint(string type, int? bits, string keyType, string _)
    {
        var path = _keygen.Generate(type, bits, "id");
        var (privateKey, comment) = SshPrivateKeyFile.LoadWithComment(path);
        using var key = privateKey;
        var pub = AuthorizedKey.Parse(File.ReadAllText(path + ".pub"));

        Assert.That(key.PublicKey.KeyType, Is.EqualTo(keyType));
        Assert.That(key.PublicKey, Is.EqualTo(pub.Key));
        Assert.That(key.PublicKey.Blob.ToArray(), Is.EqualTo(pub.Key.Blob.ToArray()));
        Assert.That(comment, Is.EqualTo("interop@test"));
        Assert.That(pub.Comment, Is.EqualTo("interop@test"));
        Assert.That(pub.Key.Fingerprint, Is.EqualTo(SshKeygen.Fingerprint(path + ".pub")));
        Assert.That(key.PublicKey.ToOpenSshLine("interop@test"), Is.EqualTo(File.ReadAllText(path + ".pub").TrimEnd('\n')));
    }

    [TestCaseSource(nameof(KeyTypes))]
    public void A_signature_made_by_ssh_keygen_verifies_with_our_verifier(string type, int? bits, string _, string expectedAlgorithm)
    {
        var path = _keygen.Generate(type, bits, "id");
        var file = _keygen.PathOf("message");
        File.WriteAllBytes(file, Message);
        SshKeygen.Succeed("-Y", "sign", "-f", path, "-n", "test", file);

        var sig = SshSig.ParseArmored(File.ReadAllText(file + ".sig"));
        var key = AuthorizedKey.Parse(File.ReadAllText(path + ".pub")).Key;
        Assert.That(sig.PublicKey, Is.EqualTo(key.Blob.ToArray()));
        Assert.That(sig.Namespace, Is.EqualTo("test"));

        var signedData = SshSig.SignedData(sig.Namespace, sig.HashAlgorithm, Message);
        Assert.That(key.Verify(expectedAlgorithm, signedData, sig.Signature), Is.True);

        // The same signature over anything else, or claimed under another algorithm, is refused.
        Assert.That(key.Verify(expectedAlgorithm, SshSig.SignedData("other", sig.HashAlgorithm, Message), sig.Signature), Is.False);
        Assert.That(key.Verify(expectedAlgorithm, SshSig.SignedData(sig.Namespace, sig.HashAlgorithm, [.. Message, 0]), sig.Signature), Is.False);
        foreach (var other in key.SignatureAlgorithms.Where(a => a != expectedAlgorithm))
        {
            Assert.That(key.Verify(other, signedData, sig.Signature), Is.False, other);
        }
    }

    public static IEnumerable<TestCaseData> SignatureAlgorithms()
    {
        yield return new TestCaseData("ed25519", null, SshKeyAlgorithms.Ed25519).SetArgDisplayNames("ed25519");
        yield return new TestCaseData("rsa", 3072, SshKeyAlgorithms.RsaSha512).SetArgDisplayNames("rsa-3072", "rsa-sha2-512");
        yield return new TestCaseData("rsa", 3072, SshKeyAlgorithms.RsaSha256).SetArgDisplayNames("rsa-3072", "rsa-sha2-256");
        yield return new TestCaseData("ecdsa", 256, SshKeyAlgorithms.EcdsaP256).SetArgDisplayNames("ecdsa-256");
    }

    [TestCaseSource(nameof(SignatureAlgorithms))]
    public void A_signature_made_by_our_signer_passes_ssh_keygen_check(string type, int? bits, string algorithm)
    {
        var path = _keygen.Generate(type, bits, "id");
        using var key = SshPrivateKeyFile.Load(path);
        var file = _keygen.PathOf("message");
        File.WriteAllBytes(file, Message);

        const string hash = "sha512";
        var signature = key.Sign(algorithm, SshSig.SignedData("test", hash, Message));
        File.WriteAllText(file + ".sig", new SshSig(key.PublicKey.Blob.ToArray(), "test", hash, signature).ToArmored());

        var check = SshKeygen.Run(["-Y", "check-novalidate", "-n", "test", "-f", path + ".pub", "-s", file + ".sig"], standardInputFile: file);
        Assert.That(check.ExitCode, Is.Zero, check.StandardError + check.StandardOutput);
        Assert.That(check.StandardOutput + check.StandardError, Does.Contain("Good \"test\" signature"));

        // ssh-keygen is a real check, not a rubber stamp: our signature over other bytes fails it.
        File.WriteAllBytes(file, [.. Message, (byte)'!']);
        var tampered = SshKeygen.Run(["-Y", "check-novalidate", "-n", "test", "-f", path + ".pub", "-s", file + ".sig"], standardInputFile: file);
        Assert.That(tampered.ExitCode, Is.Not.Zero);
    }

    [TestCaseSource(nameof(KeyTypes))]
    public void A_key_we_write_is_read_by_ssh_keygen_and_by_us(string type, int? bits, string _, string __)
    {
        var path = _keygen.Generate(type, bits, "id");
        using var original = SshPrivateKeyFile.Load(path);
        var rewritten = _keygen.PathOf("rewritten");
        SshPrivateKeyFile.Write(rewritten, original, "rewritten@test");

        Assert.That(File.GetUnixFileMode(rewritten), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(SshKeygen.Succeed("-y", "-f", rewritten).TrimEnd('\n'), Is.EqualTo(original.PublicKey.ToOpenSshLine("rewritten@test")));
        var (reloaded, comment) = SshPrivateKeyFile.LoadWithComment(rewritten);
        using (reloaded)
        {
            Assert.That(reloaded.PublicKey, Is.EqualTo(original.PublicKey));
            Assert.That(comment, Is.EqualTo("rewritten@test"));
        }
    }

    [Test]
    public void A_generated_host_key_is_ed25519_mode_0600_read_by_ssh_keygen_and_loaded_back()
    {
        var path = Path.Combine(_keygen.Directory, "state", "ssh_host_ed25519_key");
        var created = HostKeyFile.LoadOrCreate(path);
        using var key = created.Key;
        Assert.That(created.Created, Is.True);
        Assert.That(key.PublicKey.KeyType, Is.EqualTo(SshKeyAlgorithms.Ed25519));
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Has.Length.EqualTo(1), "no temporary file is left beside the key");

        var text = File.ReadAllText(path);
        Assert.That(text, Does.StartWith("-----BEGIN OPENSSH PRIVATE KEY-----\n").And.EndWith("-----END OPENSSH PRIVATE KEY-----\n"));
        Assert.That(SshKeygen.Succeed("-y", "-f", path).TrimEnd('\n'), Is.EqualTo(key.PublicKey.ToOpenSshLine("hoopproxy host key")));
        File.WriteAllText(path + ".pub", key.PublicKey.ToOpenSshLine() + "\n");
        Assert.That(SshKeygen.Fingerprint(path + ".pub"), Is.EqualTo(key.PublicKey.Fingerprint));

        var again = HostKeyFile.LoadOrCreate(path);
        using var reloaded = again.Key;
        Assert.That(again.Created, Is.False);
        Assert.That(reloaded.PublicKey, Is.EqualTo(key.PublicKey));
        var signature = reloaded.Sign(SshKeyAlgorithms.Ed25519, Message);
        Assert.That(key.PublicKey.Verify(SshKeyAlgorithms.Ed25519, Message, signature), Is.True);
    }

    [TestCase("rsa", 2048, "-----BEGIN RSA PRIVATE KEY-----", "PEM")]
    [TestCase("ecdsa", 256, "-----BEGIN EC PRIVATE KEY-----", "PEM")]
    [TestCase("rsa", 2048, "-----BEGIN PRIVATE KEY-----", "PKCS8")]
    [TestCase("ecdsa", 256, "-----BEGIN PRIVATE KEY-----", "PKCS8")]
    public void Pem_and_pkcs8_keys_written_by_ssh_keygen_load_too(string type, int bits, string header, string format)
    {
        var path = _keygen.Generate(type, bits, "id", "pem@test", "-m", format);
        Assert.That(File.ReadAllText(path), Does.StartWith(header));
        using var key = SshPrivateKeyFile.Load(path);
        Assert.That(key.PublicKey, Is.EqualTo(AuthorizedKey.Parse(File.ReadAllText(path + ".pub")).Key));
    }

    [Test]
    public void An_ed25519_pkcs8_key_loads()
    {
        using var generated = SshPrivateKey.GenerateEd25519();
        var seed = new byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(seed);
        var parameters = new Org.BouncyCastle.Crypto.Parameters.Ed25519PrivateKeyParameters(seed);
        var der = Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(parameters).GetEncoded();
        var path = _keygen.PathOf("pkcs8-ed25519");
        File.WriteAllText(path, System.Security.Cryptography.PemEncoding.WriteString("PRIVATE KEY", der));
        using var key = SshPrivateKeyFile.Load(path);
        Assert.That(key.PublicKey, Is.EqualTo(Ed25519PrivateKey.FromSeed(seed).PublicKey));
    }

    [TestCase("ed25519", null)]
    [TestCase("rsa", 2048)]
    [TestCase("ecdsa", 256)]
    public void A_passphrase_protected_key_is_refused_with_a_message_naming_the_file(string type, int? bits)
    {
        var path = _keygen.PathOf("locked");
        var arguments = new List<string> { "-q", "-t", type, "-N", "correct horse", "-f", path };
        if (bits is { } b)
        {
            arguments.AddRange(["-b", b.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        SshKeygen.Succeed([.. arguments]);
        var error = Assert.Throws<SshKeyFileException>(() => SshPrivateKeyFile.Load(path));
        Assert.That(error!.Message, Does.Contain(path).And.Contain("passphrase-protected keys are not supported"));
        Assert.That(error.Path, Is.EqualTo(path));

        // The legacy PEM form of an encrypted key is refused the same way.
        var pem = _keygen.PathOf("locked-pem");
        SshKeygen.Succeed("-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "correct horse", "-f", pem);
        Assert.That(Assert.Throws<SshKeyFileException>(() => SshPrivateKeyFile.Load(pem))!.Message,
            Does.Contain(pem).And.Contain("passphrase-protected keys are not supported"));
    }
}
