using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Transport;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// The throwaway sshd the SSH tests and the demo use as a target, and what our transport code reads from a real
/// OpenSSH server: its identification string and its first (unencrypted) KEXINIT.
/// </summary>
[TestFixture]
public sealed class TargetSshdTests
{
    private LocalSshd _sshd = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _sshd = await LocalSshd.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _sshd.DisposeAsync();

    [Test]
    public async Task OpenSSH_logs_in_to_the_target_account_with_the_generated_key()
    {
        var ssh = await ExternalProcess.RunAsync("ssh", ["-i", _sshd.UserKeyFile, "-p", _sshd.Port.ToString(), "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            $"{LocalSshd.UserName}@127.0.0.1", "echo logged-in as $(id -un)"]);
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError + File.ReadAllText(_sshd.LogFile));
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo($"logged-in as {LocalSshd.UserName}"));
        Assert.That(await _sshd.HostKeyFingerprintAsync(), Does.Match("^SHA256:[A-Za-z0-9+/]{43}$"));
    }

    [Test]
    public async Task A_real_sshds_version_and_kexinit_are_read_and_negotiated_with()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_sshd.Host, _sshd.Port);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var input = PipeReader.Create(stream);
        var output = PipeWriter.Create(stream);
        VersionExchange.WriteOurs(output);
        await output.FlushAsync();

        var version = await VersionExchange.ReadPeersAsync(input, CancellationToken.None);
        Assert.That(version, Does.StartWith("SSH-2.0-OpenSSH_"));

        // The first binary packet is unencrypted: uint32 length, byte padding length, payload, padding.
        var result = await input.ReadAtLeastAsync(5);
        var header = result.Buffer.Slice(0, 5).ToArray();
        var packetLength = (int)BinaryPrimitives.ReadUInt32BigEndian(header);
        input.AdvanceTo(result.Buffer.Start);
        result = await input.ReadAtLeastAsync(4 + packetLength);
        var packet = result.Buffer.Slice(4, packetLength).ToArray();
        input.AdvanceTo(result.Buffer.GetPosition(4 + packetLength));
        var serverInit = KexInit.Parse(packet.AsSpan(1, packetLength - 1 - packet[0]));

        Assert.That(serverInit.KeyExchange, Does.Contain("curve25519-sha256").And.Contain(AlgorithmNegotiation.StrictServer));
        Assert.That(serverInit.HostKey, Does.Contain("ssh-ed25519").And.Contain("rsa-sha2-512").And.Contain("ecdsa-sha2-nistp256"));
        Assert.That(serverInit.CipherServerToClient, Does.Contain("chacha20-poly1305@openssh.com").And.Contain("aes128-gcm@openssh.com"));

        var ours = new KexInit
        {
            Cookie = new byte[16],
            KeyExchange = ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", AlgorithmNegotiation.ExtInfoClient, AlgorithmNegotiation.StrictClient],
            HostKey = ["ssh-ed25519"],
            CipherClientToServer = ["chacha20-poly1305@openssh.com"],
            CipherServerToClient = ["chacha20-poly1305@openssh.com"],
            MacClientToServer = ["hmac-sha2-256-etm@openssh.com"],
            MacServerToClient = ["hmac-sha2-256-etm@openssh.com"],
            CompressionClientToServer = ["none"],
            CompressionServerToClient = ["none"],
        }.Encoded();
        var agreed = AlgorithmNegotiation.Negotiate(ours, serverInit, firstExchange: true);
        Assert.That(agreed.KeyExchange, Is.EqualTo("sntrup761x25519-sha512@openssh.com"), "OpenSSH 9.2 offers it; it is our first choice it knows");
        Assert.That(agreed.StrictKeyExchange, Is.True, "OpenSSH 9.6+ and Debian's 9.2p1-2+deb12u2 carry the Terrapin fix");
    }
}
