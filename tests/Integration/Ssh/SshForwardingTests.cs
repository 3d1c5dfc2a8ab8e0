using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// direct-tcpip channels through the proxy (ssh -W, -L, -J), opened from the target host's side by its sshd, allowed
/// only to the destinations an <c>SshPolicies</c> rule names; a closed port reports the target's failure, a denied
/// destination is refused by the proxy naming why, and both are recorded.
/// </summary>
[TestFixture]
public sealed class SshForwardingTests : RecordedSshProxyFixture
{
    private readonly LoopbackTcpServer _echo = LoopbackTcpServer.Echo();
    private readonly LoopbackTcpServer _http = LoopbackTcpServer.Serving(AnswerHttpAsync);
    private readonly ClosedPort _closed = new();
    private int _closedPort;
    private int _blockedPort;

    private int EchoPort => _echo.Port;

    private int HttpPort => _http.Port;

    /// <summary>The rules name the ports of the echo and HTTP servers the tunnels lead to, and the sshd's.</summary>
    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd)
    {
        _closedPort = _closed.Port;
        _blockedPort = LocalPostgresCluster.FreeTcpPort();
        return Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
        [
            new ChannelRule("no-blocked-port", ChannelAction.Block) { Destinations = [new DestinationPattern("127.0.0.1", (uint)_blockedPort)] },
            new ChannelRule("alice-tunnels", ChannelAction.Allow)
            {
                Users = [SshProxyInstance.UserName],
                Channels = [ChannelPolicy.DirectTcpip],
                Destinations =
                [
                    new DestinationPattern("127.0.0.1", (uint)EchoPort), new DestinationPattern("127.0.0.1", (uint)sshd.Port),
                    new DestinationPattern("127.0.0.1", (uint)_closedPort), new DestinationPattern("127.0.0.1", (uint)_blockedPort),
                    new DestinationPattern("localhost", (uint)HttpPort),
                ],
            },
        ]));
    }

    [OneTimeTearDown]
    public async Task StopServersAsync()
    {
        await _echo.DisposeAsync();
        await _http.DisposeAsync();
        _closed.Dispose();
    }

    /// <summary>Reads a request's head and answers one fixed response, for curl through the SOCKS proxy of ssh -D.</summary>
    private static async Task AnswerHttpAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return;
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close\r\n\r\nhello over socks\n"u8.ToArray());
    }

    /// <summary><c>ssh -W</c>; at log level INFO ssh prints the channel open failure's reason.</summary>
    private Task<ExternalProcess.Result> ForwardStdioAsync(int port, string input) =>
        ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptionsWithLogLevel("INFO"), "-W", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            $"{SshProxyInstance.UserName}@127.0.0.1"], standardInput: input, timeout: TimeSpan.FromSeconds(60));

    [Test]
    public async Task Stdio_forwarding_to_an_allowed_destination_carries_bytes_both_ways_and_is_recorded()
    {
        ExternalProcess.Result ssh = null!;
        var records = await RecordsOfNewSessionAsync(async () => ssh = await ForwardStdioAsync(EchoPort, "through the tunnel\n"));

        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput, Is.EqualTo("through the tunnel\n"));
        var open = records.Where(r => r.EventType == "channel-open").Select(r => r.Fields!).Single();
        Assert.That(open["type"]!.GetValue<string>(), Is.EqualTo("direct-tcpip"));
        Assert.That(open["host"]!.GetValue<string>(), Is.EqualTo("127.0.0.1"));
        Assert.That(open["port"]!.GetValue<uint>(), Is.EqualTo((uint)EchoPort));
        Assert.That(open["rule"]!.GetValue<string>(), Is.EqualTo("alice-tunnels"));
        var data = records.Where(r => r.Type == RecordType.Data).Select(r => Encoding.UTF8.GetString(r.Data.Span)).ToList();
        Assert.That(data.Count(d => d.Contains("through the tunnel", StringComparison.Ordinal)), Is.EqualTo(2), "recorded each way");
    }

    [Test]
    public async Task Local_forwarding_serves_several_connections_through_one_ssh()
    {
        var localPort = LocalPostgresCluster.FreeTcpPort();
        using var ssh = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ssh",
        [
            .. Proxy.SshOptions(), "-N", "-o", "ExitOnForwardFailure=yes",
            "-L", $"127.0.0.1:{localPort.ToString(CultureInfo.InvariantCulture)}:127.0.0.1:{EchoPort.ToString(CultureInfo.InvariantCulture)}",
            $"{SshProxyInstance.UserName}@127.0.0.1",
        ]) { RedirectStandardError = true })!;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                using var client = new TcpClient();
                Assert.That(await Poll.UntilAsync(async () =>
                {
                    try
                    {
                        await client.ConnectAsync(IPAddress.Loopback, localPort);
                        return true;
                    }
                    catch (SocketException)
                    {
                        return false;
                    }
                }, TimeSpan.FromSeconds(20)), Is.True, "ssh -L listens");
                var stream = client.GetStream();
                var message = Encoding.ASCII.GetBytes($"connection {i}\n");
                await stream.WriteAsync(message);
                var answer = new byte[message.Length];
                await stream.ReadExactlyAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
                Assert.That(answer, Is.EqualTo(message));
            }
        }
        finally
        {
            ssh.Kill();
            await ssh.WaitForExitAsync();
        }
    }

    [Test]
    public async Task Dynamic_forwarding_serves_curl_through_its_socks_proxy()
    {
        var socksPort = LocalPostgresCluster.FreeTcpPort();
        using var ssh = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ssh",
        [
            .. Proxy.SshOptions(), "-N", "-o", "ExitOnForwardFailure=yes", "-D", $"127.0.0.1:{socksPort.ToString(CultureInfo.InvariantCulture)}",
            $"{SshProxyInstance.UserName}@127.0.0.1",
        ]) { RedirectStandardError = true })!;
        try
        {
            // --socks5-hostname: the name is resolved at the far end, so the channel's destination is "localhost".
            ExternalProcess.Result? curl = null;
            Assert.That(await Poll.UntilAsync(async () =>
            {
                curl = await ExternalProcess.RunAsync("curl", ["-sS", "--max-time", "10", "--socks5-hostname", $"127.0.0.1:{socksPort}",
                    $"http://localhost:{HttpPort.ToString(CultureInfo.InvariantCulture)}/"]);
                return curl.ExitCode == 0;
            }, TimeSpan.FromSeconds(20)), Is.True, curl?.StandardError);
            Assert.That(curl!.StandardOutput, Is.EqualTo("hello over socks\n"));
        }
        finally
        {
            ssh.Kill();
            await ssh.WaitForExitAsync();
        }
    }

    [Test]
    public async Task ProxyJump_through_the_proxy_reaches_the_target_sshd_with_the_clients_own_key()
    {
        // ssh -J takes identities for the jump only from a configuration file: one file names both keys (alice's for
        // the proxy, the target account's for the inner login to the same sshd).
        var config = Path.Combine(Proxy.Directory, "jump_config");
        await File.WriteAllTextAsync(config, $"""
            Host *
              IdentityFile {Proxy.ClientKeyFile}
              IdentityFile {Sshd.UserKeyFile}
              IdentitiesOnly yes
              BatchMode yes
              StrictHostKeyChecking no
              UserKnownHostsFile /dev/null
              LogLevel ERROR
            """);
        var ssh = await ExternalProcess.RunAsync("ssh", ["-F", config,
            "-J", $"{SshProxyInstance.UserName}@127.0.0.1:{Proxy.Port.ToString(CultureInfo.InvariantCulture)}",
            "-p", Sshd.Port.ToString(CultureInfo.InvariantCulture), $"{LocalSshd.UserName}@127.0.0.1", "echo jumped as $(id -un)"],
            timeout: TimeSpan.FromSeconds(60));

        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo($"jumped as {LocalSshd.UserName}"));
    }

    [Test]
    public async Task An_allowed_destination_nobody_listens_on_reports_the_targets_connect_failure()
    {
        ExternalProcess.Result ssh = null!;
        var records = await RecordsOfNewSessionAsync(async () => ssh = await ForwardStdioAsync(_closedPort, ""));

        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("open failed: connect failed"), "the target sshd's own reason reaches the client");
        var refused = records.Where(r => r.EventType == "channel-refused").Select(r => r.Fields!).Single();
        Assert.That(refused["refused_by"]!.GetValue<string>(), Is.EqualTo("target"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_destination_no_rule_allows_or_a_block_rule_names_is_refused_by_the_proxy(bool blockRule)
    {
        var port = blockRule ? _blockedPort : 1;
        ExternalProcess.Result ssh = null!;
        var records = await RecordsOfNewSessionAsync(async () => ssh = await ForwardStdioAsync(port, ""));

        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("administratively prohibited"));
        Assert.That(ssh.StandardError, Does.Contain(blockRule ? "rule \"no-blocked-port\"" : "no SshPolicies rule allows it"));
        var refused = records.Where(r => r.EventType == "channel-refused").Select(r => r.Fields!).Single();
        Assert.That(refused["refused_by"]!.GetValue<string>(), Is.EqualTo("proxy"));
        Assert.That(refused["port"]!.GetValue<uint>(), Is.EqualTo((uint)port));
        Assert.That(records.Where(r => r.EventType == "channel-open"), Is.Empty);
    }
}
