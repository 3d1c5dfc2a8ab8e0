using System.Diagnostics;
using System.Security.Cryptography;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Recording;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Recording;

/// <summary>The signing key's file forms, and the <c>Recording</c> configuration section.</summary>
public sealed class RecordingKeyAndOptionsTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "hoopproxy-reckey-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void A_generated_pem_key_loads_back_and_signs_verifiably()
    {
        var path = Path.Combine(_directory, "k.pem");
        var generated = RecordingSigningKey.Generate(path);
        Assert.That(File.ReadAllText(path), Does.StartWith("-----BEGIN PRIVATE KEY-----"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
        var loaded = RecordingSigningKey.Load(path);
        Assert.That(loaded.PublicKey, Is.EqualTo(generated.PublicKey));

        var signature = loaded.Sign("message"u8);
        Assert.That(RecordingSigningKey.Verify(generated.PublicKey, "message"u8, signature), Is.True);
        Assert.That(RecordingSigningKey.Verify(generated.PublicKey, "messagE"u8, signature), Is.False);
        Assert.Throws<IOException>(() => RecordingSigningKey.Generate(path), "Generate never overwrites a key");
    }

    [Test]
    public void A_raw_seed_file_and_an_openssl_key_load()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var raw = Path.Combine(_directory, "seed.bin");
        File.WriteAllBytes(raw, seed);
        Assert.That(RecordingSigningKey.Load(raw).PublicKey, Is.EqualTo(RecordingSigningKey.FromSeed(seed).PublicKey));

        // The form the documentation tells operators to create.
        var pem = Path.Combine(_directory, "openssl.pem");
        using var openssl = Process.Start(new ProcessStartInfo("openssl", ["genpkey", "-algorithm", "ed25519", "-out", pem]) { RedirectStandardError = true })!;
        openssl.WaitForExit();
        Assert.That(openssl.ExitCode, Is.Zero, openssl.StandardError.ReadToEnd());
        Assert.That(RecordingSigningKey.Load(pem).PublicKey, Has.Length.EqualTo(32));
    }

    [Test]
    public void Other_files_are_refused_with_a_message_that_says_what_is_expected()
    {
        var path = Path.Combine(_directory, "bad.key");
        File.WriteAllText(path, "not a key");
        var e = Assert.Throws<InvalidDataException>(() => RecordingSigningKey.Load(path));
        Assert.That(e!.Message, Does.Contain("PRIVATE KEY").And.Contain("32-byte seed"));

        using var rsa = RSA.Create(2048);
        File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        Assert.That(Assert.Throws<InvalidDataException>(() => RecordingSigningKey.Load(path))!.Message, Does.Contain("not Ed25519"));
    }

    private IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(kv => "Recording:" + kv.Key, kv => kv.Value)).Build().GetSection("Recording");

    [Test]
    public void The_section_binds_with_defaults_and_relative_paths()
    {
        RecordingSigningKey.Generate(Path.Combine(_directory, "rec.key"));
        var options = RecordingOptions.FromConfiguration(Section(new() { ["Directory"] = "recordings", ["SigningKeyFile"] = "rec.key" }), _directory)!;
        Assert.That(options, Is.EqualTo(new RecordingOptions(Path.Combine(_directory, "recordings"), Path.Combine(_directory, "rec.key"),
            TimeSpan.FromSeconds(1), FailClosed: true, RecordingCompression.None, RecordingOptions.DefaultQueueCapacity)));

        options = RecordingOptions.FromConfiguration(Section(new()
        {
            ["Directory"] = "/var/lib/hoopproxy/rec", ["SigningKeyFile"] = "rec.key", ["FlushInterval"] = "00:00:00.250",
            ["FailClosed"] = "false", ["Compression"] = "zstd", ["QueueCapacity"] = "16",
        }), _directory)!;
        Assert.That((options.Directory, options.FlushInterval, options.FailClosed, options.Compression, options.QueueCapacity),
            Is.EqualTo(("/var/lib/hoopproxy/rec", TimeSpan.FromMilliseconds(250), false, RecordingCompression.Zstd, 16)));

        Assert.That(RecordingOptions.FromConfiguration(new ConfigurationBuilder().Build().GetSection("Recording"), _directory), Is.Null);
    }

    [TestCase("Directory", null, "Recording:Directory")]
    [TestCase("SigningKeyFile", "missing.key", "Recording:SigningKeyFile")]
    [TestCase("Compression", "lz4", "Recording:Compression")]
    [TestCase("FlushInterval", "soon", "Recording:FlushInterval")]
    [TestCase("FlushInterval", "00:05:00", "Recording:FlushInterval")]
    [TestCase("QueueCapacity", "0", "Recording:QueueCapacity")]
    [TestCase("FailClosed", "maybe", "Recording:FailClosed")]
    public void A_bad_value_names_its_key(string key, string? value, string expectedKey)
    {
        RecordingSigningKey.Generate(Path.Combine(_directory, "rec.key"));
        var values = new Dictionary<string, string?> { ["Directory"] = "recordings", ["SigningKeyFile"] = "rec.key", [key] = value };
        var e = Assert.Throws<ConfigurationException>(() => RecordingOptions.FromConfiguration(Section(values), _directory));
        Assert.That(e!.Key, Is.EqualTo(expectedKey));
        Assert.That(e.Message, Does.StartWith(expectedKey));
    }
}
