using System.IO.Pipelines;
using System.Text;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Transport;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

public sealed class TransportNegotiationTests
{
    private static async Task<string> ReadVersionAsync(string sent)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(sent));
        await pipe.Writer.CompleteAsync();
        return await VersionExchange.ReadPeersAsync(pipe.Reader, CancellationToken.None);
    }

    [TestCase("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3")]
    [TestCase("Welcome to the bastion\r\nauthorised use only\r\nSSH-2.0-OpenSSH_8.9\r\n", "SSH-2.0-OpenSSH_8.9")]
    [TestCase("SSH-2.0-dropbear\n", "SSH-2.0-dropbear")]
    [TestCase("SSH-1.99-Cisco-1.25\r\n", "SSH-1.99-Cisco-1.25")]
    public async Task The_peers_identification_line_is_found_after_banner_lines(string sent, string expected)
    {
        Assert.That(await ReadVersionAsync(sent), Is.EqualTo(expected));
    }

    [TestCase("SSH-1.5-OldServer\r\n", SshDisconnectReason.ProtocolVersionNotSupported, "only 2.0")]
    [TestCase("GET / HTTP/1.1\r\nHost: example\r\n", SshDisconnectReason.ConnectionLost, "before sending its SSH identification")]
    [TestCase("SSH-2.0-bad\u0001name\r\n", SshDisconnectReason.ProtocolError, "printable US-ASCII")]
    public async Task Other_protocols_and_versions_are_refused_with_a_reason(string sent, SshDisconnectReason reason, string message)
    {
        var error = await Assert.ThrowsAsync<SshProtocolException>(() => ReadVersionAsync(sent));
        Assert.That(error!.Reason, Is.EqualTo(reason));
        Assert.That(error.Message, Does.Contain(message));
    }

    [Test]
    public async Task A_line_longer_than_255_bytes_is_refused_before_it_is_buffered_further()
    {
        var error = await Assert.ThrowsAsync<SshProtocolException>(() => ReadVersionAsync(new string('x', 10_000)));
        Assert.That(error!.Message, Does.Contain("longer than 255"));
    }

    private static KexInit Init(string[] kex, string[] ciphers, string[] macs, string[]? hostKeys = null) => new KexInit
    {
        Cookie = new byte[16],
        KeyExchange = kex,
        HostKey = hostKeys ?? ["ssh-ed25519", "rsa-sha2-512"],
        CipherClientToServer = ciphers,
        CipherServerToClient = ciphers,
        MacClientToServer = macs,
        MacServerToClient = macs,
        CompressionClientToServer = ["none"],
        CompressionServerToClient = ["none"],
    }.Encoded();

    [Test]
    public void Kexinit_round_trips_with_its_payload()
    {
        var sent = Init(["curve25519-sha256", AlgorithmNegotiation.ExtInfoClient], ["aes128-ctr"], ["hmac-sha2-256"]);
        var parsed = KexInit.Parse(sent.Payload);
        Assert.That(parsed.KeyExchange, Is.EqualTo(sent.KeyExchange));
        Assert.That(parsed.CipherServerToClient, Is.EqualTo(sent.CipherServerToClient));
        Assert.That(parsed.Payload, Is.EqualTo(sent.Payload));
        Assert.Throws<SshProtocolException>(() => KexInit.Parse(sent.Payload.AsSpan(0, sent.Payload.Length - 1)));
    }

    [Test]
    public void The_clients_first_choice_the_server_supports_wins_and_markers_are_never_chosen()
    {
        var client = Init([AlgorithmNegotiation.StrictClient, "sntrup761x25519-sha512", "curve25519-sha256", AlgorithmNegotiation.ExtInfoClient],
            ["chacha20-poly1305@openssh.com", "aes128-ctr"], ["hmac-sha2-256-etm@openssh.com"]);
        var server = Init(["curve25519-sha256", "sntrup761x25519-sha512", AlgorithmNegotiation.StrictServer],
            ["aes128-ctr", "chacha20-poly1305@openssh.com"], ["hmac-sha2-256-etm@openssh.com"]);

        var agreed = AlgorithmNegotiation.Negotiate(client, server, firstExchange: true);
        Assert.That(agreed.KeyExchange, Is.EqualTo("sntrup761x25519-sha512"));
        Assert.That(agreed.CipherClientToServer, Is.EqualTo("chacha20-poly1305@openssh.com"));
        Assert.That(agreed.MacClientToServer, Is.Null, "an AEAD cipher's tag is its MAC");
        Assert.That((agreed.StrictKeyExchange, agreed.ClientWantsExtInfo, agreed.ServerWantsExtInfo), Is.EqualTo((true, true, false)));
        Assert.That(AlgorithmNegotiation.Negotiate(client, server, firstExchange: false).StrictKeyExchange, Is.False, "signalled in the first exchange only");
    }

    [Test]
    public void No_common_algorithm_fails_the_key_exchange_naming_both_lists()
    {
        var client = Init(["curve25519-sha256"], ["aes256-ctr"], ["hmac-sha2-512"]);
        var server = Init(["curve25519-sha256"], ["aes128-ctr"], ["hmac-sha2-512"]);
        var error = Assert.Throws<SshProtocolException>(() => AlgorithmNegotiation.Negotiate(client, server, firstExchange: true));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.KeyExchangeFailed));
        Assert.That(error.Message, Does.Contain("cipher client to server").And.Contain("[aes256-ctr]").And.Contain("[aes128-ctr]"));
    }
}
