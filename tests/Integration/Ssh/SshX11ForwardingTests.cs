using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// X11 forwarding end to end under a rule that allows it: <c>ssh -X</c> through the proxy to an sshd with
/// X11Forwarding on; a program on the target connects to its forwarded display with the cookie xauth gave it, the
/// target opens an x11 channel, the proxy relays it to the client, and ssh hands the connection (its fake cookie
/// swapped for the real one) to the display beside the client — here a stand-in X server that answers eight bytes.
/// </summary>
[TestFixture]
public sealed class SshX11ForwardingTests : RecordedSshProxyFixture
{
    private const string Answer = "HOOPX11!";
    private readonly TaskCompletionSource<byte[]> _setup = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LoopbackTcpServer _display;

    public SshX11ForwardingTests()
    {
        _display = LoopbackTcpServer.Serving(AnswerLikeAnXServerAsync);
    }

    protected override IReadOnlyList<string>? SshdConfiguration => ["X11Forwarding yes", "X11UseLocalhost yes", "X11DisplayOffset 10"];

    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd) => Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
    [
        new ChannelRule("alice-x11", ChannelAction.Allow) { Users = [SshProxyInstance.UserName], Channels = [ChannelPolicy.X11] },
    ]));

    [OneTimeTearDown]
    public async Task StopDisplayAsync() => await _display.DisposeAsync();

    /// <summary>Reads the client's connection setup (12 bytes, then the padded protocol name and data) and answers.</summary>
    private async Task AnswerLikeAnXServerAsync(System.Net.Sockets.NetworkStream stream)
    {
        var head = new byte[12];
        await stream.ReadExactlyAsync(head);
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(6));
        var dataLength = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(8));
        var rest = new byte[((nameLength + 3) & ~3) + ((dataLength + 3) & ~3)];
        await stream.ReadExactlyAsync(rest);
        _setup.TrySetResult([.. head, .. rest]);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Answer));
        await stream.FlushAsync();
    }

    [Test]
    public async Task A_program_on_the_target_reaches_the_display_beside_the_client_through_the_proxy()
    {
        var display = _display.Port - 6000;
        Assert.That(display, Is.Positive, "the stand-in display's port must be above 6000");
        // On the target: the forwarded display's number and cookie, an X11 connection setup (little-endian, protocol
        // 11.0, MIT-MAGIC-COOKIE-1 and the cookie's 16 bytes), then what the display answers.
        const string program = """
            n=${DISPLAY#*:}; n=${n%.*}
            cookie=$(xauth list "$DISPLAY" | awk '{print $3}' | head -n 1)
            exec 3<>/dev/tcp/127.0.0.1/$((6000 + n))
            printf 'l\000\013\000\000\000\022\000\020\000\000\000MIT-MAGIC-COOKIE-1\000\000' >&3
            printf "$(echo "$cookie" | sed 's/../\\x&/g')" >&3
            head -c 8 <&3
            """;
        ExternalProcess.Result ssh = null!;
        var records = await RecordsOfNewSessionAsync(async () => ssh = await ExternalProcess.RunAsync("ssh",
            [.. Proxy.SshOptions(), "-X", $"{SshProxyInstance.UserName}@127.0.0.1", program],
            new Dictionary<string, string> { ["DISPLAY"] = $"127.0.0.1:{display.ToString(CultureInfo.InvariantCulture)}" }, timeout: TimeSpan.FromSeconds(60)));

        Assert.That(ssh.ExitCode, Is.Zero, ssh.Combined);
        Assert.That(ssh.StandardOutput, Is.EqualTo(Answer), "the display's answer came back to the program on the target");
        var setup = await _setup.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That((setup[0], BinaryPrimitives.ReadUInt16LittleEndian(setup.AsSpan(2))), Is.EqualTo(((byte)'l', (ushort)11)));
        Assert.That(Encoding.ASCII.GetString(setup, 12, 18), Is.EqualTo("MIT-MAGIC-COOKIE-1"), "ssh passed the setup on to the display");
        var open = records.Single(r => r.EventType == "channel-open" && r.Fields!["type"]!.GetValue<string>() == "x11").Fields!;
        Assert.That(open["from"]!.GetValue<string>(), Is.EqualTo("server"));
        Assert.That(records.Where(r => r.Type == RecordType.Data).Any(r => Encoding.ASCII.GetString(r.Data.Span).EndsWith(Answer, StringComparison.Ordinal)),
            Is.True, "the x11 channel's bytes are in the record");
    }
}
