using HoopProxy.Ssh;
using HoopProxy.Ssh.Transport.KeyExchange;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh.KeyExchange;

/// <summary>Whatever a peer sends in place of Q_C or Q_S, a bad value ends the exchange with KEY_EXCHANGE_FAILED.</summary>
public sealed class MalformedPeerValueTests
{
    private static IKeyExchangeMethod Method(string name)
    {
        Assert.That(KeyExchangeMethods.TryGet(name, out var method), Is.True);
        return method!;
    }

    private static SshProtocolException Fails(Action action, string messagePart)
    {
        var error = Assert.Throws<SshProtocolException>(() => action())!;
        Assert.That(error.Reason, Is.EqualTo(SshDisconnectReason.KeyExchangeFailed));
        Assert.That(error.Message, Does.Contain(messagePart));
        return error;
    }

    private static IEnumerable<TestCaseData> WrongLengths()
    {
        foreach (var method in KeyExchangeMethods.Supported)
        {
            using var client = method.CreateClient();
            var length = client.ClientValue.Length;
            foreach (var wrong in new[] { 0, length - 1, length + 1 })
            {
                yield return new TestCaseData(method.Name, wrong).SetArgDisplayNames(method.Name, wrong.ToString());
            }
        }
    }

    [TestCaseSource(nameof(WrongLengths))]
    public void A_client_value_of_the_wrong_length_is_refused_by_the_server(string name, int length)
    {
        Fails(() => Method(name).Respond(new byte[length]), $"Q_C is {length} bytes");
    }

    [TestCaseSource(nameof(KeyExchangeMethodNames))]
    public void A_server_value_of_the_wrong_length_is_refused_by_the_client(string name)
    {
        var method = Method(name);
        using var client = method.CreateClient();
        using var response = method.Respond(client.ClientValue.Span);
        var truncated = response.ServerValue[..^1].ToArray();
        Fails(() => client.ComputeSharedSecret(truncated), $"Q_S is {truncated.Length} bytes");
    }

    private static IEnumerable<string> KeyExchangeMethodNames() => KeyExchangeMethods.Names;

    // u = 0 and u = 1 are low-order points: X25519 with any scalar gives all zeros (RFC 7748 §6.1, RFC 8731 §3).
    [TestCase("curve25519-sha256", "0000000000000000000000000000000000000000000000000000000000000000")]
    [TestCase("curve25519-sha256@libssh.org", "0100000000000000000000000000000000000000000000000000000000000000")]
    public void A_low_order_x25519_key_giving_an_all_zero_secret_is_refused_on_both_sides(string name, string lowOrderPoint)
    {
        var method = Method(name);
        var point = Convert.FromHexString(lowOrderPoint);
        Fails(() => method.Respond(point), "all-zero shared secret");

        using var client = method.CreateClient();
        Fails(() => client.ComputeSharedSecret(point), "all-zero shared secret");
    }

    [TestCase("mlkem768x25519-sha256")]
    [TestCase("sntrup761x25519-sha512")]
    public void The_hybrids_refuse_an_all_zero_x25519_part_too(string name)
    {
        var method = Method(name);
        using var client = method.CreateClient();
        var clientValue = client.ClientValue.ToArray();
        clientValue.AsSpan(clientValue.Length - 32).Clear();
        Fails(() => method.Respond(clientValue), "all-zero shared secret");

        using var response = method.Respond(client.ClientValue.Span);
        var serverValue = response.ServerValue.ToArray();
        serverValue.AsSpan(serverValue.Length - 32).Clear();
        Fails(() => client.ComputeSharedSecret(serverValue), "all-zero shared secret");
    }

    [Test]
    public void An_mlkem_encapsulation_key_failing_the_fips_203_modulus_check_is_refused()
    {
        var method = Method("mlkem768x25519-sha256");
        using var client = method.CreateClient();
        var clientValue = client.ClientValue.ToArray();
        // The first 12-bit coefficient becomes 0xfff = 4095, not below q = 3329.
        clientValue[0] = 0xff;
        clientValue[1] |= 0x0f;
        Fails(() => method.Respond(clientValue), "ML-KEM-768 encapsulation key is malformed");
    }

    [Test]
    public void A_point_not_on_p256_is_refused_on_both_sides()
    {
        var method = Method("ecdh-sha2-nistp256");
        using var genuine = method.CreateClient();
        var offCurve = genuine.ClientValue.ToArray();
        offCurve[^1] ^= 0x01; // y changed by one: (x, y) no longer satisfies the curve equation
        Fails(() => method.Respond(offCurve), "not a point on P-256");

        using var client = method.CreateClient();
        Fails(() => client.ComputeSharedSecret(offCurve), "not a point on P-256");
    }

    [Test]
    public void A_p256_point_not_in_uncompressed_form_is_refused()
    {
        var method = Method("ecdh-sha2-nistp256");
        using var genuine = method.CreateClient();
        var compressedTag = genuine.ClientValue.ToArray();
        compressedTag[0] = 0x02;
        Fails(() => method.Respond(compressedTag), "not an uncompressed point");
        Fails(() => method.Respond(new byte[65]), "not an uncompressed point");
    }
}
