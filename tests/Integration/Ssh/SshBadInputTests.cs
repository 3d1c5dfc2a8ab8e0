using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Crypto;
using HoopProxy.Ssh.Transport.Messages;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// What no well-behaved SSH client sends, against the real proxy in front of a real sshd: garbage instead of a version
/// line, a packet whose MAC does not match, an absurd packet length, a stray message during a strict key exchange, a
/// client that stops reading while the target has endless output, and a client that sends more than its window. Each
/// gets an SSH-level answer (a DISCONNECT with a reason code and a text, or for garbage the version line, a DISCONNECT
/// in the clear and the close), and afterwards the proxy has no session left and still serves a normal <c>ssh</c> exec.
/// </summary>
[TestFixture]
public sealed class SshBadInputTests : SshProxyFixture
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(15);
    /// <summary>The proxy has no session left over, and a normal exec through it still works.</summary>
    private async Task AssertProxyStillServesAsync()
    {
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Proxy.ActiveSessions == 0), ReleaseTimeout), Is.True,
            $"the proxy still has {Proxy.ActiveSessions} sessions open");
        var ssh = await Proxy.RunSshAsync("echo still-serving");
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("still-serving"));
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Proxy.ActiveSessions == 0), ReleaseTimeout), Is.True,
            $"the proxy still has {Proxy.ActiveSessions} sessions open after a normal exec");
    }

    private static void AssertDisconnect(Disconnect? disconnect, SshDisconnectReason reason, params string[] texts)
    {
        Assert.That(disconnect, Is.Not.Null, "the proxy closed the connection without a DISCONNECT");
        Assert.That(disconnect!.Reason, Is.EqualTo(reason), disconnect.Description);
        foreach (var text in texts)
        {
            Assert.That(disconnect.Description, Does.Contain(text));
        }
    }

    private static void AssertDisconnect(SshDisconnectedException disconnect, SshDisconnectReason reason, params string[] texts) =>
        AssertDisconnect(new Disconnect(disconnect.Reason, disconnect.Description), reason, texts);

    // ---- 1. Garbage instead of a version line ----------------------------------------------------------------------

    [Test]
    public async Task An_http_request_then_close_gets_the_version_line_a_disconnect_and_the_close()
    {
        await using (var raw = await RawSshSocket.ConnectAsync(Proxy.Port))
        {
            await raw.SendAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
            raw.ShutdownSend();

            // The proxy speaks first (RFC 4253 §4.2 allows it), so its version line is there before it read anything.
            Assert.That(await raw.ReadVersionAsync(), Is.EqualTo(VersionExchange.OurVersion));
            var disconnect = await raw.ReadUntilDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.ConnectionLost, "identification string");
            Assert.That(await raw.WaitForCloseAsync(ReleaseTimeout), Is.True, "the proxy kept the connection open");
        }

        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task Three_hundred_kilobytes_without_a_newline_are_refused_after_255_bytes()
    {
        await using (var raw = await RawSshSocket.ConnectAsync(Proxy.Port))
        {
            var garbage = new byte[300 * 1024];
            RandomNumberGenerator.Fill(garbage);
            for (var i = 0; i < garbage.Length; i++)
            {
                garbage[i] = garbage[i] == (byte)'\n' ? (byte)'x' : garbage[i];
            }

            // The proxy stops reading long before the end: the rest may be refused with a reset, which is fine.
            var sending = Task.Run(async () =>
            {
                try
                {
                    await raw.SendAsync(garbage);
                }
                catch (System.Net.Sockets.SocketException)
                {
                }
            });

            Assert.That(await raw.ReadVersionAsync(), Is.EqualTo(VersionExchange.OurVersion));
            var disconnect = await raw.ReadUntilDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.ProtocolError, $"longer than {VersionExchange.MaxLineLength} bytes");
            Assert.That(await raw.WaitForCloseAsync(ReleaseTimeout), Is.True, "the proxy kept the connection open");
            await sending.WaitAsync(ReleaseTimeout);
        }

        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task More_than_1024_lines_without_a_version_are_refused()
    {
        await using (var raw = await RawSshSocket.ConnectAsync(Proxy.Port))
        {
            await raw.SendAsync(string.Concat(Enumerable.Repeat("220 smtp.example.com ESMTP\r\n", VersionExchange.MaxPrefaceLines + 10)));
            Assert.That(await raw.ReadVersionAsync(), Is.EqualTo(VersionExchange.OurVersion));
            var disconnect = await raw.ReadUntilDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.ProtocolError,
                $"more than {VersionExchange.MaxPrefaceLines.ToString(CultureInfo.InvariantCulture)} lines");
            Assert.That(await raw.WaitForCloseAsync(ReleaseTimeout), Is.True, "the proxy kept the connection open");
        }

        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task An_ssh_1_client_is_told_that_only_2_0_is_supported()
    {
        await using (var raw = await RawSshSocket.ConnectAsync(Proxy.Port))
        {
            await raw.SendAsync("SSH-1.5-OldClient\r\n");
            Assert.That(await raw.ReadVersionAsync(), Is.EqualTo(VersionExchange.OurVersion));
            var disconnect = await raw.ReadUntilDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.ProtocolVersionNotSupported, "1.5", "only 2.0");
            Assert.That(await raw.WaitForCloseAsync(ReleaseTimeout), Is.True, "the proxy kept the connection open");
        }

        await AssertProxyStillServesAsync();
    }

    // ---- 2. A wrong MAC ------------------------------------------------------------------------------------------

    private static IEnumerable<TestCaseData> TamperedPackets()
    {
        // Offset 5 is the first payload byte (after the length field and the padding length): ciphertext for every
        // cipher, and outside the (encrypted or plain) length field, so the length check passes and the MAC decides.
        yield return new TestCaseData(CipherAlgorithm.Aes128GcmName, MacAlgorithm.HmacSha256EtmName, "ciphertext");
        yield return new TestCaseData(CipherAlgorithm.ChaCha20Poly1305Name, MacAlgorithm.HmacSha256EtmName, "ciphertext");
        yield return new TestCaseData(CipherAlgorithm.Aes128CtrName, MacAlgorithm.HmacSha256Name, "ciphertext");
        yield return new TestCaseData(CipherAlgorithm.Aes256CtrName, MacAlgorithm.HmacSha512EtmName, "ciphertext");
        yield return new TestCaseData(CipherAlgorithm.Aes256GcmName, MacAlgorithm.HmacSha256EtmName, "tag");
        yield return new TestCaseData(CipherAlgorithm.Aes128CtrName, MacAlgorithm.HmacSha512Name, "tag");
    }

    [TestCaseSource(nameof(TamperedPackets))]
    public async Task A_packet_with_a_flipped_byte_gets_disconnect_mac_error(string cipher, string mac, string where)
    {
        await using (var client = await RawSshClient.ConnectAsync(Proxy.Port, Proxy.HostKeyFingerprint,
                         new TransportPreferences { Ciphers = [cipher], Macs = [mac] }))
        {
            Assert.That(client.Transport.Algorithms.CipherClientToServer, Is.EqualTo(cipher));
            await client.SendTamperedAsync(MessageBytes.Of(new ServiceRequest(ServiceRequest.UserAuth).WriteTo), packet =>
            {
                var index = where == "tag" ? packet.Length - 1 : 5;
                packet[index] ^= 0x20;
            });

            // The proxy's sending direction is intact: its DISCONNECT arrives under the keys, readable.
            var disconnect = await client.ReceiveDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.MacError, "integrity check");
        }

        await AssertProxyStillServesAsync();
    }

    [Test]
    public async Task A_flipped_byte_in_channel_data_during_the_relay_gets_disconnect_mac_error_and_ends_the_target_session()
    {
        var marker = "hoop-mac-relay-" + Guid.NewGuid().ToString("N")[..8];
        await using (var client = await RawSshClient.LoginAsync(Proxy.Port, Proxy.HostKeyFingerprint, SshProxyInstance.UserName,
                         SshProxyInstance.UserPassword))
        {
            var channel = await client.OpenSessionAsync(1024 * 1024, 32 * 1024);
            await client.ExecAsync(channel.SenderChannel, $"cat > /dev/null; echo {marker}");
            Assert.That(await Poll.UntilAsync(() => TargetProcessRunningAsync(marker), ReleaseTimeout), Is.True, "the command never started on the target");
            await client.SendTamperedAsync(MessageBytes.Of(new ChannelData(channel.SenderChannel, new byte[1000]).WriteTo), packet => packet[100] ^= 0x01);
            var disconnect = await client.ReceiveDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.MacError, "integrity check");
        }

        Assert.That(await Poll.UntilAsync(async () => !await TargetProcessRunningAsync(marker), ReleaseTimeout), Is.True,
            "the command still runs on the target");
        await AssertProxyStillServesAsync();
    }

    // ---- 3. An absurd packet length ----------------------------------------------------------------------------

    [Test]
    public async Task A_2_GB_packet_length_in_the_clear_is_refused_before_its_body()
    {
        await using (var raw = await RawSshSocket.ConnectAsync(Proxy.Port))
        {
            await raw.SendVersionAsync();
            Assert.That(await raw.ReadVersionAsync(), Is.EqualTo(VersionExchange.OurVersion));

            // The first packet after the version: a length of 2^31-1 and a few bytes of a body that never comes.
            var head = new byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(head, 0x7fffffff);
            head[4] = 4;
            head[5] = (byte)SshMessageNumber.KexInit;
            await raw.SendAsync(head);

            var disconnect = await raw.ReadUntilDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.ProtocolError, "2147483647",
                SshPacketStream.DefaultMaxPacketLength.ToString(CultureInfo.InvariantCulture));
            Assert.That(await raw.WaitForCloseAsync(ReleaseTimeout), Is.True, "the proxy kept the connection open");
        }

        await AssertProxyStillServesAsync();
    }

    [TestCase(CipherAlgorithm.Aes128GcmName, MacAlgorithm.HmacSha256EtmName)]
    [TestCase(CipherAlgorithm.Aes128CtrName, MacAlgorithm.HmacSha256EtmName)]
    public async Task A_2_GB_packet_length_under_the_keys_is_refused_before_its_body(string cipher, string mac)
    {
        // Both protections leave the length field unencrypted (AES-GCM authenticates it, -etm MACs cover it), so the
        // length the proxy reads is the one written here; the MAC can only be checked once the body is in.
        await using (var client = await RawSshClient.ConnectAsync(Proxy.Port, Proxy.HostKeyFingerprint,
                         new TransportPreferences { Ciphers = [cipher], Macs = [mac] }))
        {
            await client.SendTamperedAsync(MessageBytes.Of(new ServiceRequest(ServiceRequest.UserAuth).WriteTo),
                packet => BinaryPrimitives.WriteUInt32BigEndian(packet, 0x7ffffff0));
            var disconnect = await client.ReceiveDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.ProtocolError, "2147483632",
                SshPacketStream.DefaultMaxPacketLength.ToString(CultureInfo.InvariantCulture));
        }

        await AssertProxyStillServesAsync();
    }

    // ---- 4. A message out of order during a strict key exchange --------------------------------------------------

    /// <summary>Key exchange messages go straight onto the stream (the first exchange of <see cref="KeyExchangeHandshake"/>).</summary>
    private sealed class DirectOutput(SshPacketStream stream) : IKeyExchangeOutput
    {
        public async ValueTask SendAsync(byte[] payload, CancellationToken cancellationToken)
        {
            stream.WritePayload(payload);
            await stream.FlushAsync(cancellationToken);
        }

        public async ValueTask SendNewKeysAsync(PacketProtection outgoing, bool resetSequence, CancellationToken cancellationToken)
        {
            stream.WritePayload([(byte)SshMessageNumber.NewKeys]);
            await stream.FlushAsync(cancellationToken);
            stream.UseSendProtection(outgoing, resetSequence);
        }
    }

    private static KexInit ClientKexInit(bool strict) => new KexInit
    {
        Cookie = RandomNumberGenerator.GetBytes(KexInit.CookieLength),
        KeyExchange = strict ? ["curve25519-sha256", AlgorithmNegotiation.StrictClient] : ["curve25519-sha256"],
        HostKey = ["ssh-ed25519"],
        CipherClientToServer = [CipherAlgorithm.Aes128GcmName],
        CipherServerToClient = [CipherAlgorithm.Aes128GcmName],
        MacClientToServer = [MacAlgorithm.HmacSha256EtmName],
        MacServerToClient = [MacAlgorithm.HmacSha256EtmName],
        CompressionClientToServer = ["none"],
        CompressionServerToClient = ["none"],
    }.Encoded();

    /// <param name="strict">Whether our KEXINIT carries kex-strict-c-v00@openssh.com (the proxy's always carries the server marker).</param>
    /// <param name="ignoreBeforeKexInit">The IGNORE goes before our KEXINIT instead of between it and KEX_ECDH_INIT.</param>
    [TestCase(true, false, TestName = "Strict kex: an IGNORE between KEXINIT and KEX_ECDH_INIT is a protocol error naming strict kex")]
    [TestCase(true, true, TestName = "Strict kex: an IGNORE before KEXINIT is a protocol error naming strict kex")]
    [TestCase(false, false, TestName = "Without strict kex an IGNORE between KEXINIT and KEX_ECDH_INIT is skipped and the exchange completes")]
    public async Task An_ignore_message_during_the_first_key_exchange(bool strict, bool ignoreBeforeKexInit)
    {
        await using (var raw = await RawSshSocket.ConnectAsync(Proxy.Port))
        {
            await raw.SendVersionAsync();
            var serverVersion = await raw.ReadVersionAsync();
            var ignore = MessageBytes.Of(new Ignore("stray"u8.ToArray()).WriteTo);
            var ours = ClientKexInit(strict);
            if (ignoreBeforeKexInit)
            {
                await raw.SendPacketAsync(ignore);
            }

            await raw.SendPacketAsync(ours.Payload);
            var serversPayload = await raw.ReadPacketAsync();
            Assert.That(serversPayload?[0], Is.EqualTo((byte)SshMessageNumber.KexInit), "the proxy's KEXINIT follows its version line");
            var servers = KexInit.Parse(serversPayload);
            var agreed = AlgorithmNegotiation.Negotiate(ours, servers, firstExchange: true);
            Assert.That(agreed.StrictKeyExchange, Is.EqualTo(strict));
            if (!ignoreBeforeKexInit)
            {
                await raw.SendPacketAsync(ignore);
            }

            if (strict)
            {
                var disconnect = await raw.ReadUntilDisconnectAsync();
                AssertDisconnect(disconnect, SshDisconnectReason.ProtocolError, "strict");
                Assert.That(await raw.WaitForCloseAsync(ReleaseTimeout), Is.True, "the proxy kept the connection open");
            }
            else
            {
                // The exchange goes on as usual, up to SERVICE_ACCEPT under the new keys.
                var round = new KeyExchangeRound(Encoding.ASCII.GetBytes(VersionExchange.OurVersion), Encoding.ASCII.GetBytes(serverVersion), ours,
                    servers, agreed, SessionId: null, ResetSequence: false);
                using var timeout = new CancellationTokenSource(ReleaseTimeout);
                var (_, hostKey) = await KeyExchangeHandshake.CompleteAsClientAsync(raw.Packets, new DirectOutput(raw.Packets), round,
                    key => key.Fingerprint == Proxy.HostKeyFingerprint, timeout.Token);
                Assert.That(hostKey.Fingerprint, Is.EqualTo(Proxy.HostKeyFingerprint));
                raw.Packets.WritePayload(MessageBytes.Of(new ServiceRequest(ServiceRequest.UserAuth).WriteTo));
                await raw.Packets.FlushAsync();
                var accept = await raw.Packets.ReadPayloadAsync(timeout.Token);
                Assert.That(accept[0], Is.EqualTo((byte)SshMessageNumber.ServiceAccept));
            }
        }

        await AssertProxyStillServesAsync();
    }

    /// <summary>Sends <paramref name="instead"/> where NEWKEYS belongs, then protects what follows as if NEWKEYS had gone.</summary>
    private sealed class NoNewKeysOutput(SshPacketStream stream, byte[] instead) : IKeyExchangeOutput
    {
        public async ValueTask SendAsync(byte[] payload, CancellationToken cancellationToken)
        {
            stream.WritePayload(payload);
            await stream.FlushAsync(cancellationToken);
        }

        public async ValueTask SendNewKeysAsync(PacketProtection outgoing, bool resetSequence, CancellationToken cancellationToken)
        {
            stream.WritePayload(instead);
            await stream.FlushAsync(cancellationToken);
            stream.UseSendProtection(outgoing, resetSequence);
        }
    }

    /// <summary>The next packet if it is an unencrypted DISCONNECT, without consuming anything; null otherwise.</summary>
    private static async Task<Disconnect?> TryReadClearDisconnectAsync(System.IO.Pipelines.PipeReader input, CancellationToken cancellationToken)
    {
        var result = await input.ReadAtLeastAsync(6, cancellationToken);
        var buffer = result.Buffer;
        try
        {
            var head = buffer.Slice(0, 6).ToArray();
            var length = BinaryPrimitives.ReadUInt32BigEndian(head);
            if (head[5] != (byte)SshMessageNumber.Disconnect || length > 4096 || buffer.Length < 4 + length)
            {
                return null;
            }

            var packet = buffer.Slice(4, length).ToArray();
            try
            {
                return Disconnect.Parse(packet.AsSpan(1, (int)length - 1 - packet[0]));
            }
            catch (SshProtocolException)
            {
                return null;
            }
        }
        finally
        {
            input.AdvanceTo(buffer.Start);
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Another_message_instead_of_newkeys_is_refused_with_a_disconnect_under_the_proxys_new_keys(bool strict)
    {
        // The proxy sends its NEWKEYS right after KEX_ECDH_REPLY (RFC 4253 §7.3): from then on everything it sends is
        // protected with the new keys, a DISCONNECT included — a client cannot read one in the clear any more.
        await using (var raw = await RawSshSocket.ConnectAsync(Proxy.Port))
        {
            await raw.SendVersionAsync();
            var serverVersion = await raw.ReadVersionAsync();
            var ours = ClientKexInit(strict);
            await raw.SendPacketAsync(ours.Payload);
            var servers = KexInit.Parse(await raw.ReadPacketAsync());
            var agreed = AlgorithmNegotiation.Negotiate(ours, servers, firstExchange: true);
            var round = new KeyExchangeRound(Encoding.ASCII.GetBytes(VersionExchange.OurVersion), Encoding.ASCII.GetBytes(serverVersion), ours,
                servers, agreed, SessionId: null, ResetSequence: strict);
            using var timeout = new CancellationTokenSource(ReleaseTimeout);
            var instead = MessageBytes.Of(new ServiceRequest(ServiceRequest.UserAuth).WriteTo);

            // Our side completes: the proxy's NEWKEYS arrived, and our receiving direction now uses the new keys.
            await KeyExchangeHandshake.CompleteAsClientAsync(raw.Packets, new NoNewKeysOutput(raw.Packets, instead), round,
                key => key.Fingerprint == Proxy.HostKeyFingerprint, timeout.Token);

            // For the report: is what arrived a DISCONNECT in the clear? (Under AES-GCM the length field is not
            // encrypted, so a clear packet's length reads the same either way; its body would not open.)
            var clear = await TryReadClearDisconnectAsync(raw.Input, timeout.Token);
            Assert.That(clear, Is.Null, $"the proxy sent its DISCONNECT in the clear after its own NEWKEYS: {clear?.Reason} \"{clear?.Description}\"");

            Disconnect? disconnect = null;
            try
            {
                var payload = await raw.Packets.ReadPayloadAsync(timeout.Token);
                disconnect = payload[0] == (byte)SshMessageNumber.Disconnect ? Disconnect.Parse(payload)
                    : throw new AssertionException($"expected a DISCONNECT, got message {payload[0]}");
            }
            catch (SshProtocolException e)
            {
                Assert.Fail($"the proxy's answer could not be read under its new keys ({e.Reason}: {e.Message})");
            }

            AssertDisconnect(disconnect, SshDisconnectReason.ProtocolError, "NewKeys", "message 5");
        }

        await AssertProxyStillServesAsync();
    }

    // ---- 5. A client that stops reading ---------------------------------------------------------------------------

    private static long ResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kilobytes = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return kilobytes * 1024;
    }

    private static async Task<bool> TargetProcessRunningAsync(string marker) =>
        (await ExternalProcess.RunAsync("pgrep", ["-u", LocalSshd.UserName, "-f", marker])).ExitCode == 0;

    [Test]
    public async Task A_client_that_stops_reading_holds_the_target_after_one_window_and_the_proxy_memory_stays_bounded()
    {
        const uint Window = 2 * 1024 * 1024;
        const uint MaxPacket = 32 * 1024;
        var marker = "hoop-stops-reading-" + Guid.NewGuid().ToString("N")[..8];
        var client = await RawSshClient.LoginAsync(Proxy.Port, Proxy.HostKeyFingerprint, SshProxyInstance.UserName, SshProxyInstance.UserPassword);
        try
        {
            var channel = await client.OpenSessionAsync(Window, MaxPacket);
            // Not "exec cat": the shell stays, with the marker in its command line, until cat dies.
            var early = (await client.ExecAsync(channel.SenderChannel, $"cat /dev/zero; echo {marker}")).DataBytes;
            Assert.That(await Poll.UntilAsync(() => TargetProcessRunningAsync(marker), ReleaseTimeout), Is.True, "the command never started on the target");

            // Nobody reads the socket for five seconds while cat could produce gigabytes.
            GC.Collect();
            var before = ResidentBytes();
            await Task.Delay(TimeSpan.FromSeconds(5));
            var after = ResidentBytes();
            TestContext.Out.WriteLine($"RSS before {before / 1048576.0:F1} MiB, after {after / 1048576.0:F1} MiB");
            Assert.That(after - before, Is.LessThan(64L * 1024 * 1024), "the proxy buffered what the client did not read");
            Assert.That(await TargetProcessRunningAsync(marker), Is.True, "the command ended while it should only be held by the window");

            // What did arrive is exactly the window the client gave, less the few KiB the proxy keeps back for its own
            // stderr lines on a session channel: the target was held by it, through the proxy.
            const long TargetWindow = Window - HoopProxy.Ssh.Session.RelayedChannel.ProxyWindowReserveLimit;
            long received = early;
            while (received < TargetWindow)
            {
                var message = await client.ReceiveAsync();
                if (message[0] == (byte)SshMessageNumber.ChannelData)
                {
                    received += ChannelData.Parse(message).Data.Length;
                }
            }

            Assert.That(received, Is.EqualTo(TargetWindow), "the target sent more than the client's window as the proxy relayed it");

            // More window, more data: the stall was the window's doing.
            await client.SendAsync(MessageBytes.Of(new ChannelWindowAdjust(channel.SenderChannel, 64 * 1024).WriteTo));
            var more = 0L;
            while (more < 64 * 1024)
            {
                var message = await client.ReceiveAsync();
                if (message[0] == (byte)SshMessageNumber.ChannelData)
                {
                    more += ChannelData.Parse(message).Data.Length;
                }
            }

            Assert.That(more, Is.EqualTo(64 * 1024));
        }
        finally
        {
            await client.DisposeAsync();
        }

        // The client is gone: the session ends on the proxy and on the target (cat gets a broken pipe, the shell ends).
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Proxy.ActiveSessions == 0), ReleaseTimeout), Is.True,
            $"the proxy still has {Proxy.ActiveSessions} sessions open");
        Assert.That(await Poll.UntilAsync(async () => !await TargetProcessRunningAsync(marker), ReleaseTimeout), Is.True,
            "the command still runs on the target");
        await AssertProxyStillServesAsync();
    }

    // ---- 6. More data than the window ----------------------------------------------------------------------------

    [Test]
    public async Task A_client_that_sends_more_than_its_window_is_disconnected_with_a_protocol_error()
    {
        const uint MaxPacket = 32 * 1024;
        await using (var client = await RawSshClient.LoginAsync(Proxy.Port, Proxy.HostKeyFingerprint, SshProxyInstance.UserName,
                         SshProxyInstance.UserPassword))
        {
            var channel = await client.OpenSessionAsync(2 * 1024 * 1024, MaxPacket);
            // sleep never reads its stdin: sshd can grant little beyond its first window (what the pipe to sleep holds).
            var started = await client.ExecAsync(channel.SenderChannel, "sleep 30");
            var window = channel.InitialWindowSize + started.WindowAdded;
            Assert.That(window, Is.GreaterThan(0), "sshd never gave the client a window");
            var packet = Math.Min(MaxPacket, channel.MaximumPacketSize);
            var total = window + 1024 * 1024;
            var chunk = new byte[packet];
            long sent = 0;
            try
            {
                while (sent < total)
                {
                    await client.SendAsync(MessageBytes.Of(new ChannelData(channel.SenderChannel, chunk).WriteTo));
                    sent += chunk.Length;
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                // The proxy cut the connection while data was still going out.
            }

            var disconnect = await client.ReceiveDisconnectAsync();
            AssertDisconnect(disconnect, SshDisconnectReason.ProtocolError, "window");
            TestContext.Out.WriteLine($"window {window}, sent {sent}: {disconnect.Description}");
        }

        await AssertProxyStillServesAsync();
    }
}
