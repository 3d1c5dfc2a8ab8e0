using System.Security.Cryptography;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Transport.KeyExchange;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.KeyExchange;

/// <summary>Both roles of every method, run in-process: they must reach the same K and the same H.</summary>
public sealed class KeyExchangeMethodTests
{
    private static IEnumerable<TestCaseData> Methods() =>
        KeyExchangeMethods.Supported.Select(m => new TestCaseData(m).SetArgDisplayNames(m.Name));

    internal static ExchangeHashInput SampleInput(ReadOnlyMemory<byte> clientValue, ReadOnlyMemory<byte> serverValue) => new(
        "SSH-2.0-OpenSSH_9.9"u8.ToArray(),
        "SSH-2.0-HoopProxy_0.1"u8.ToArray(),
        new byte[] { 20, 1, 2, 3 },
        new byte[] { 20, 4, 5, 6 },
        "ssh-ed25519 host key blob"u8.ToArray(),
        clientValue,
        serverValue);

    [Test]
    public void The_registry_lists_our_preference_order()
    {
        Assert.That(KeyExchangeMethods.Names, Is.EqualTo(new[]
        {
            "mlkem768x25519-sha256",
            "sntrup761x25519-sha512",
            "sntrup761x25519-sha512@openssh.com",
            "curve25519-sha256",
            "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256",
        }));
        Assert.That(KeyExchangeMethods.TryGet("curve25519-sha256@libssh.org", out var method), Is.True);
        Assert.That(method!.Hash, Is.EqualTo(HashAlgorithmName.SHA256));
        Assert.That(KeyExchangeMethods.TryGet("diffie-hellman-group1-sha1", out _), Is.False);
    }

    [TestCaseSource(nameof(Methods))]
    public void Client_and_server_agree_on_K_and_H(IKeyExchangeMethod method)
    {
        using var client = method.CreateClient();
        using var response = method.Respond(client.ClientValue.Span);
        using var clientSecret = client.ComputeSharedSecret(response.ServerValue.Span);

        Assert.That(clientSecret.Encoded.ToArray(), Is.EqualTo(response.SharedSecret.Encoded.ToArray()));
        Assert.That(clientSecret.Encoding, Is.EqualTo(response.SharedSecret.Encoding));

        // Each side builds H from its own copies of the values, as the transport will.
        var clientH = ExchangeHash.Compute(method.Hash, SampleInput(client.ClientValue.ToArray(), response.ServerValue.ToArray()), clientSecret);
        var serverH = ExchangeHash.Compute(method.Hash, SampleInput(client.ClientValue.ToArray(), response.ServerValue.ToArray()), response.SharedSecret);
        Assert.That(clientH, Is.EqualTo(serverH));
        Assert.That(clientH, Has.Length.EqualTo(method.Hash == HashAlgorithmName.SHA512 ? 64 : 32));
    }

    [TestCase("curve25519-sha256", 32, 32, SharedSecretEncoding.Mpint)]
    [TestCase("curve25519-sha256@libssh.org", 32, 32, SharedSecretEncoding.Mpint)]
    [TestCase("ecdh-sha2-nistp256", 65, 65, SharedSecretEncoding.Mpint)]
    [TestCase("mlkem768x25519-sha256", 1184 + 32, 1088 + 32, SharedSecretEncoding.String)]
    [TestCase("sntrup761x25519-sha512", 1158 + 32, 1039 + 32, SharedSecretEncoding.String)]
    [TestCase("sntrup761x25519-sha512@openssh.com", 1158 + 32, 1039 + 32, SharedSecretEncoding.String)]
    public void Values_have_the_sizes_and_K_the_encoding_openssh_uses(string name, int clientLength, int serverLength, SharedSecretEncoding encoding)
    {
        KeyExchangeMethods.TryGet(name, out var method);
        using var client = method!.CreateClient();
        using var response = method.Respond(client.ClientValue.Span);
        Assert.That(client.ClientValue.Length, Is.EqualTo(clientLength));
        Assert.That(response.ServerValue.Length, Is.EqualTo(serverLength));
        Assert.That(response.SharedSecret.Encoding, Is.EqualTo(encoding));
        if (encoding == SharedSecretEncoding.String)
        {
            // string(HASH(...)): the length prefix is the full digest size, whatever the digest's first byte.
            var digestLength = method.Hash == HashAlgorithmName.SHA512 ? 64 : 32;
            Assert.That(response.SharedSecret.Encoded.Length, Is.EqualTo(4 + digestLength));
            Assert.That(response.SharedSecret.Encoded[..4].ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, (byte)digestLength }));
        }
    }

    [TestCaseSource(nameof(Methods))]
    public void Every_exchange_has_fresh_keys_and_a_different_K(IKeyExchangeMethod method)
    {
        byte[] Run(out byte[] clientValue)
        {
            using var client = method.CreateClient();
            using var response = method.Respond(client.ClientValue.Span);
            using var secret = client.ComputeSharedSecret(response.ServerValue.Span);
            clientValue = client.ClientValue.ToArray();
            return secret.Encoded.ToArray();
        }

        var first = Run(out var firstClientValue);
        var second = Run(out var secondClientValue);
        Assert.That(second, Is.Not.EqualTo(first));
        Assert.That(secondClientValue, Is.Not.EqualTo(firstClientValue));
    }

    [TestCaseSource(nameof(Methods))]
    public void A_client_computes_K_once_because_its_private_keys_are_zeroed_after(IKeyExchangeMethod method)
    {
        using var client = method.CreateClient();
        using var response = method.Respond(client.ClientValue.Span);
        client.ComputeSharedSecret(response.ServerValue.Span).Dispose();
        Assert.Throws<InvalidOperationException>(() => client.ComputeSharedSecret(response.ServerValue.Span));
    }

    [Test]
    public void A_disposed_shared_secret_is_zeroed_and_unreadable()
    {
        var secret = SharedSecret.FromString([1, 2, 3]);
        secret.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _ = secret.Encoded.Length);
    }
}
