using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Wire;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Our transport against OpenSSH, both ways: as a client against a real sshd and as a server for the real ssh client,
/// with each key exchange method, host key algorithm and cipher forced once; and against itself.
/// </summary>
[TestFixture]
public sealed class KeyExchangeInteropTests
{
    /// <summary>What Debian 12's OpenSSH 9.2 implements of ours; mlkem768x25519-sha256 came in OpenSSH 9.9 (see <see cref="Our_client_and_our_server_agree_with_every_method"/>).</summary>
    private static readonly string[] KeyExchanges =
        ["sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256"];

    private static readonly (string Cipher, string Mac)[] Ciphers =
    [
        ("chacha20-poly1305@openssh.com", "hmac-sha2-256-etm@openssh.com"), ("aes128-gcm@openssh.com", "hmac-sha2-256-etm@openssh.com"),
        ("aes256-gcm@openssh.com", "hmac-sha2-256-etm@openssh.com"), ("aes128-ctr", "hmac-sha2-256-etm@openssh.com"),
        ("aes256-ctr", "hmac-sha2-512-etm@openssh.com"), ("aes128-ctr", "hmac-sha2-256"), ("aes256-ctr", "hmac-sha2-512"),
    ];

    private static readonly (string Algorithm, string KeyType)[] HostKeys =
        [("ssh-ed25519", "ed25519"), ("rsa-sha2-512", "rsa"), ("rsa-sha2-256", "rsa"), ("ecdsa-sha2-nistp256", "ecdsa")];

    private LocalSshd _sshd = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _sshd = await LocalSshd.StartAsync(["LogLevel DEBUG1"]);

    [OneTimeTearDown]
    public async Task StopAsync() => await _sshd.DisposeAsync();

    private static IEnumerable<TestCaseData> Combinations()
    {
        // Every method once, every cipher once, every host key once: 7 cases cover all three lists.
        for (var i = 0; i < Math.Max(KeyExchanges.Length, Math.Max(Ciphers.Length, HostKeys.Length)); i++)
        {
            var (cipher, mac) = Ciphers[i % Ciphers.Length];
            var (hostKey, keyType) = HostKeys[i % HostKeys.Length];
            yield return new TestCaseData(KeyExchanges[i % KeyExchanges.Length], cipher, mac, hostKey, keyType);
        }
    }

    private static TransportPreferences Only(string kex, string cipher, string mac, string hostKey) => new()
    {
        KeyExchange = [kex], Ciphers = [cipher], Macs = [mac], HostKey = [hostKey],
    };

    private static SshPacketStream Stream(Socket socket)
    {
        var network = new NetworkStream(socket, ownsSocket: true);
        return new SshPacketStream(new DuplexStreamPipe(PipeReader.Create(network), PipeWriter.Create(network)));
    }

    private sealed record DuplexStreamPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private static byte[] Message(SshMessageNumber number, string text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new SshWriter(buffer);
        writer.WriteByte((byte)number);
        writer.WriteUtf8(text);
        return buffer.WrittenSpan.ToArray();
    }

    [TestCaseSource(nameof(Combinations))]
    public async Task As_a_client_against_a_real_sshd(string kex, string cipher, string mac, string hostKey, string keyType)
    {
        var pinned = await _sshd.HostKeyFingerprintAsync(keyType);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_sshd.Host, _sshd.Port);
        using var stream = Stream(socket);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        HandshakeResult result;
        try
        {
            result = await KeyExchangeHandshake.RunClientAsync(stream, Only(kex, cipher, mac, hostKey), key => key.Fingerprint == pinned, timeout.Token);
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name}: {e.Message}\n--- the end of sshd's log ---\n{string.Join("\n", File.ReadAllLines(_sshd.LogFile).TakeLast(25))}");
            throw;
        }

        Assert.That((result.Algorithms.KeyExchange, result.Algorithms.CipherClientToServer, result.Algorithms.HostKey), Is.EqualTo((kex, cipher, hostKey)));
        Assert.That(result.Algorithms.StrictKeyExchange, Is.True);

        // Under the new keys: ask for the user authentication service; sshd first sends EXT_INFO (we said ext-info-c).
        stream.WritePayload(Message(SshMessageNumber.ServiceRequest, "ssh-userauth"));
        await stream.FlushAsync();
        var first = await stream.ReadPayloadAsync(CancellationToken.None);
        Assert.That(first[0], Is.EqualTo((byte)SshMessageNumber.ExtInfo));
        var accept = await stream.ReadPayloadAsync(CancellationToken.None);
        Assert.That(accept[0], Is.EqualTo((byte)SshMessageNumber.ServiceAccept));
    }

    [Test]
    public async Task As_a_client_a_host_key_other_than_the_pinned_one_is_refused()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_sshd.Host, _sshd.Port);
        using var stream = Stream(socket);
        var error = await Assert.ThrowsAsync<SshProtocolException>(() => KeyExchangeHandshake.RunClientAsync(stream, new TransportPreferences(),
            key => key.Fingerprint == "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", CancellationToken.None));
        Assert.That(error!.Reason, Is.EqualTo(SshDisconnectReason.HostKeyNotVerifiable));
    }

    /// <summary>Runs our server side for one connection: key exchange, the user authentication service, then refuses every method.</summary>
    private static async Task<HandshakeResult> ServeOnceAsync(TcpListener listener, SshPrivateKey hostKey)
    {
        using var socket = await listener.AcceptSocketAsync();
        using var stream = Stream(socket);
        var result = await KeyExchangeHandshake.RunServerAsync(stream, new TransportPreferences(), hostKey, CancellationToken.None);
        while (true)
        {
            byte[] payload;
            try
            {
                payload = await stream.ReadPayloadAsync(CancellationToken.None);
            }
            catch (SshProtocolException e) when (e.Reason == SshDisconnectReason.ConnectionLost)
            {
                return result;
            }

            if (payload[0] == (byte)SshMessageNumber.ServiceRequest)
            {
                stream.WritePayload(Message(SshMessageNumber.ServiceAccept, "ssh-userauth"));
            }
            else if (payload[0] == (byte)SshMessageNumber.UserAuthRequest)
            {
                var buffer = new ArrayBufferWriter<byte>();
                var writer = new SshWriter(buffer);
                writer.WriteByte((byte)SshMessageNumber.UserAuthFailure);
                writer.WriteNameList(["publickey"]);
                writer.WriteBoolean(false);
                stream.WritePayload(buffer.WrittenSpan);
            }
            else if (payload[0] == (byte)SshMessageNumber.Disconnect)
            {
                return result;
            }

            await stream.FlushAsync();
        }
    }

    [TestCaseSource(nameof(Combinations))]
    public async Task As_a_server_for_the_openssh_client(string kex, string cipher, string mac, string hostKey, string keyType)
    {
        var folder = Directory.CreateTempSubdirectory("hoopproxy-ssh-server-");
        try
        {
            var keyFile = Path.Combine(folder.FullName, "host");
            await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", keyType, "-N", "", "-f", keyFile]);
            using var key = SshPrivateKeyFile.Load(keyFile);
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                var serving = ServeOnceAsync(listener, key);
                var ssh = await ExternalProcess.RunAsync("ssh", ["-v", "-p", port.ToString(), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", "-o", $"KexAlgorithms={kex}", "-o", $"Ciphers={cipher}", "-o", $"MACs={mac}",
                    "-o", $"HostKeyAlgorithms={hostKey}", "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=/dev/null", "nobody@127.0.0.1", "true"]);
                var result = await serving.WaitAsync(TimeSpan.FromSeconds(30));

                Assert.That(ssh.StandardError, Does.Contain($"kex: algorithm: {kex}"));
                Assert.That(ssh.StandardError, Does.Contain($"kex: host key algorithm: {hostKey}"));
                Assert.That(ssh.StandardError, Does.Contain($"kex: server->client cipher: {cipher}"));
                Assert.That(ssh.StandardError, Does.Contain("SSH2_MSG_SERVICE_ACCEPT received"), "the key exchange completed and both sides use the new keys");
                Assert.That(ssh.StandardError, Does.Contain("Permission denied (publickey)"));
                Assert.That(result.Algorithms.StrictKeyExchange, Is.True);
                Assert.That(result.Algorithms.ClientWantsExtInfo, Is.True);
            }
            finally
            {
                listener.Stop();
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [TestCase("mlkem768x25519-sha256")]
    [TestCase("sntrup761x25519-sha512")]
    [TestCase("curve25519-sha256")]
    [TestCase("ecdh-sha2-nistp256")]
    public async Task Our_client_and_our_server_agree_with_every_method(string kex)
    {
        using var hostKey = SshPrivateKey.GenerateEd25519();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var accepting = listener.AcceptSocketAsync();
            using var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await clientSocket.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            using var serverSocket = await accepting;
            using var clientStream = Stream(clientSocket);
            using var serverStream = Stream(serverSocket);
            var preferences = new TransportPreferences { KeyExchange = [kex] };
            var server = KeyExchangeHandshake.RunServerAsync(serverStream, preferences, hostKey, CancellationToken.None);
            var client = await KeyExchangeHandshake.RunClientAsync(clientStream, preferences, key => key.Equals(hostKey.PublicKey), CancellationToken.None);
            var served = await server;

            Assert.That(client.SessionId, Is.EqualTo(served.SessionId));
            Assert.That(client.Algorithms.KeyExchange, Is.EqualTo(kex));
            // Under the new keys, both ways: EXT_INFO came first from the server.
            Assert.That((await clientStream.ReadPayloadAsync(CancellationToken.None))[0], Is.EqualTo((byte)SshMessageNumber.ExtInfo));
            clientStream.WritePayload(Message(SshMessageNumber.ServiceRequest, "ssh-userauth"));
            await clientStream.FlushAsync();
            Assert.That((await serverStream.ReadPayloadAsync(CancellationToken.None))[0], Is.EqualTo((byte)SshMessageNumber.ServiceRequest));
        }
        finally
        {
            listener.Stop();
        }
    }
}
