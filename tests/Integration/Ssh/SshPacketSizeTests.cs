using System.Net.Sockets;
using System.Security.Cryptography;
using HoopProxy.Core.Networking;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Authentication;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Maximum packet sizes through the proxy (RFC 4254 §5.1, §5.2): each side of a channel may send CHANNEL_DATA up to
/// the maximum packet size the OTHER side announced — the client up to the target's (sshd: 32768), the target up to
/// the client's. The common clients announce 32 KB like sshd (PuTTY 16 KB, but it sends 4 KB pieces), so the client
/// here is our own transport code, logged in as alice with her key, announcing other sizes and keeping to the target's
/// window.
/// </summary>
[TestFixture]
public sealed class SshPacketSizeTests : SshProxyFixture
{
    /// <summary>What OpenSSH's sshd announces for a session channel (CHAN_SES_PACKET_DEFAULT).</summary>
    private const int SshdMaxPacket = 32 * 1024;

    /// <summary>An SSH client on one connection to the proxy: logged in, one session channel opened with the given window and packet size.</summary>
    private sealed class RawSession(SshTransport transport, uint targetChannel, uint targetMaxPacket, uint targetWindow) : IAsyncDisposable
    {
        public const uint Ours = 7;

        private long _window = targetWindow;

        public SshTransport Transport { get; } = transport;

        public uint TargetChannel { get; } = targetChannel;

        /// <summary>The maximum packet size the far side (the target, through the proxy) announced.</summary>
        public uint TargetMaxPacket { get; } = targetMaxPacket;

        public uint TargetWindow { get; } = targetWindow;

        public static async Task<RawSession> OpenAsync(SshProxyInstance proxy, uint window, uint maxPacket, CancellationToken cancellationToken)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync("127.0.0.1", proxy.Port, cancellationToken);
            var transport = await SshTransport.ConnectAsync(new SocketDuplexPipe(socket, PipeSettings.Default), new TransportPreferences(),
                key => key.Fingerprint == proxy.HostKeyFingerprint, RekeyLimits.Default, cancellationToken);
            var alice = new SshTarget { Name = "proxy", Host = "127.0.0.1", Port = proxy.Port, Username = SshProxyInstance.UserName, HostKeyFingerprint = proxy.HostKeyFingerprint };
            using var key = SshPrivateKeyFile.Load(proxy.ClientKeyFile);
            await SshTargetLogin.LoginAsync(transport, alice, key, cancellationToken);
            await transport.SendAsync(MessageBytes.Of(ChannelOpen.Session(Ours, window, maxPacket).WriteTo), cancellationToken);
            var reply = await ReceiveConnectionMessageAsync(transport, cancellationToken);
            Assert.That(reply[0], Is.EqualTo((byte)SshMessageNumber.ChannelOpenConfirmation), "the session channel opened");
            var confirmation = ChannelOpenConfirmation.Parse(reply);
            return new RawSession(transport, confirmation.SenderChannel, confirmation.MaximumPacketSize, confirmation.InitialWindowSize);
        }

        /// <summary>The next message, past global requests (answered) and EXT_INFO-style leftovers of the login.</summary>
        public static async Task<byte[]> ReceiveConnectionMessageAsync(SshTransport transport, CancellationToken cancellationToken)
        {
            while (true)
            {
                var payload = await transport.ReceiveAsync(cancellationToken);
                if (payload[0] == (byte)SshMessageNumber.GlobalRequest)
                {
                    if (GlobalRequest.Parse(payload).WantReply)
                    {
                        await transport.SendAsync(new[] { (byte)SshMessageNumber.RequestFailure }, cancellationToken);
                    }

                    continue;
                }

                if (payload[0] is >= 90 and <= 100)
                {
                    return payload;
                }
            }
        }

        public ValueTask SendAsync(Action<System.Buffers.IBufferWriter<byte>> writeTo, CancellationToken cancellationToken) =>
            Transport.SendAsync(MessageBytes.Of(writeTo), cancellationToken);

        /// <summary>
        /// Sends an exec with want_reply and waits for its CHANNEL_SUCCESS and for the target's window to hold
        /// <paramref name="bytes"/> (sshd opens a session's window only once the command runs).
        /// </summary>
        public async Task ExecAndWaitForWindowAsync(string command, long bytes, CancellationToken cancellationToken)
        {
            await SendAsync(ChannelRequest.Create(TargetChannel, true, ExecRequest.FromText(command)).WriteTo, cancellationToken);
            var started = false;
            while (!started || _window < bytes)
            {
                var message = await ReceiveConnectionMessageAsync(Transport, cancellationToken);
                switch ((SshMessageNumber)message[0])
                {
                    case SshMessageNumber.ChannelSuccess:
                        started = true;
                        break;
                    case SshMessageNumber.ChannelFailure:
                        Assert.Fail("the target refused the exec");
                        break;
                    case SshMessageNumber.ChannelWindowAdjust:
                        _window += ChannelWindowAdjust.Parse(message).BytesToAdd;
                        break;
                    default:
                        Assert.Fail($"message {message[0]} before the command started");
                        break;
                }
            }
        }

        /// <summary>Sends CHANNEL_DATA within the window (checked here: the test must not be what breaks the rules).</summary>
        public async Task SendDataAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Assert.That(data.Length, Is.LessThanOrEqualTo(_window), "the test stays within the target's window");
            _window -= data.Length;
            await SendAsync(new ChannelData(TargetChannel, data).WriteTo, cancellationToken);
        }

        public ValueTask DisposeAsync() => Transport.DisposeAsync();
    }

    /// <summary>The channel's output and exit status until CHANNEL_CLOSE, or the exception that ended the connection.</summary>
    private static async Task<(byte[] Output, uint? ExitStatus, int LargestPacket, Exception? Error)> ReadUntilCloseAsync(RawSession session, uint window,
        CancellationToken cancellationToken)
    {
        var output = new MemoryStream();
        uint? exitStatus = null;
        var largest = 0;
        long consumed = 0;
        try
        {
            while (true)
            {
                var message = await RawSession.ReceiveConnectionMessageAsync(session.Transport, cancellationToken);
                switch ((SshMessageNumber)message[0])
                {
                    case SshMessageNumber.ChannelData:
                        var data = ChannelData.Parse(message);
                        output.Write(data.Data.Span);
                        largest = Math.Max(largest, data.Data.Length);
                        consumed += data.Data.Length;
                        if (consumed >= window / 2)
                        {
                            await session.SendAsync(new ChannelWindowAdjust(session.TargetChannel, (uint)consumed).WriteTo, cancellationToken);
                            consumed = 0;
                        }

                        break;
                    case SshMessageNumber.ChannelRequest:
                        var request = ChannelRequest.Parse(message);
                        if (request.RequestType == ExitStatusRequest.Type)
                        {
                            exitStatus = request.ReadData<ExitStatusRequest>().ExitStatus;
                        }

                        break;
                    case SshMessageNumber.ChannelClose:
                        await session.SendAsync(new ChannelClose(session.TargetChannel).WriteTo, cancellationToken);
                        return (output.ToArray(), exitStatus, largest, null);
                }
            }
        }
        catch (Exception e) when (e is SshDisconnectedException or SshProtocolException or IOException)
        {
            return (output.ToArray(), exitStatus, largest, e);
        }
    }

    [Test]
    public async Task The_client_may_send_packets_as_large_as_the_target_announced()
    {
        // The client takes only 16 KB packets itself (as PuTTY announces) but may send up to the target's 32 KB.
        const uint window = 1 << 20;
        const uint maxPacket = 16 * 1024;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var session = await RawSession.OpenAsync(Proxy, window, maxPacket, timeout.Token);
        Assert.That(session.TargetMaxPacket, Is.EqualTo(SshdMaxPacket), "sshd's maximum packet size reached the client unchanged");
        var data = RandomNumberGenerator.GetBytes(4 * SshdMaxPacket);
        await session.ExecAndWaitForWindowAsync("sha256sum; exit 4", data.Length, timeout.Token);
        for (var offset = 0; offset < data.Length; offset += SshdMaxPacket)
        {
            await session.SendDataAsync(data.AsMemory(offset, SshdMaxPacket), timeout.Token);
        }

        await session.SendAsync(new ChannelEof(session.TargetChannel).WriteTo, timeout.Token);
        var (output, exitStatus, _, error) = await ReadUntilCloseAsync(session, window, timeout.Token);
        Assert.That(error, Is.Null, $"the connection ended: {error?.Message}");
        Assert.That(System.Text.Encoding.ASCII.GetString(output).Split(' ')[0], Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(data))));
        Assert.That(exitStatus, Is.EqualTo(4u));
    }

    [Test]
    public async Task A_client_sending_more_than_the_target_announced_is_stopped()
    {
        // The other half of the rule: a client that announces 64 KB for itself still may not send the target more than its 32 KB.
        const uint window = 1 << 20;
        const uint maxPacket = 64 * 1024;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var session = await RawSession.OpenAsync(Proxy, window, maxPacket, timeout.Token);
        await session.ExecAndWaitForWindowAsync("cat > /dev/null; echo all-read", SshdMaxPacket + 1, timeout.Token);
        await session.SendDataAsync(new byte[SshdMaxPacket + 1], timeout.Token);
        await session.SendAsync(new ChannelEof(session.TargetChannel).WriteTo, timeout.Token);
        var (output, _, _, error) = await ReadUntilCloseAsync(session, window, timeout.Token);
        Assert.That(error, Is.InstanceOf<SshDisconnectedException>(), $"the proxy ended the connection (output: {System.Text.Encoding.ASCII.GetString(output)})");
        Assert.That(error!.Message, Does.Contain("maximum packet size"));
    }
}
