using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions;
using HoopProxy.Tests.Unit.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary><c>sessions show</c> of an SSH session: events as sentences, data as byte counts per channel, never the bytes.</summary>
public sealed class SshTimelineTextTests
{
    [Test]
    public async Task Events_read_as_sentences_and_data_is_counted_per_channel_and_stream()
    {
        using var fixture = new RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "shown");
            await ssh.OpenAsync(0);
            await ssh.PtyAsync(0, "xterm-256color", 120, 40);
            await ssh.RequestAsync(0, "env", new() { ["name"] = "LANG", ["value"] = "C.UTF-8" });
            await ssh.ShellAsync(0);
            await ssh.OutputAsync(0, "$ ");
            await ssh.OutputAsync(0, "TOPSECRET!");
            await ssh.InputAsync(0, "e");
            await ssh.InputAsync(0, "x");
            await ssh.StderrAsync(0, "warning");
            await ssh.WindowChangeAsync(0, 100, 30);
            await ssh.OpenAsync(1);
            await ssh.ExecAsync(1, "systemctl restart nginx");
            await ssh.RequestAsync(1, "signal", new() { ["signal"] = "INT" });
            await ssh.RequestAsync(1, "exit-signal", new() { ["signal"] = "KILL", ["core_dumped"] = true, ["message"] = "killed" }, from: "server");
            await ssh.EventAsync("channel-refused", new JsonObject { ["type"] = "direct-tcpip", ["from"] = "client", ["reason"] = "port forwarding is not allowed" });
            await ssh.ExitStatusAsync(0, 0);
            await ssh.CloseAsync(0);
            await ssh.DataAsync(RecordDirection.ServerToClient, [1, 2, 3]);
            await ssh.EventAsync("revocation", new JsonObject
            {
                ["cause"] = "revoked", ["reason"] = "token 'b7c1' has been revoked", ["kind"] = "tokenIds", ["value"] = "b7c1",
            });
            await ssh.EventAsync("disconnect", new JsonObject { ["reason"] = "the client disconnected" });
            await ssh.CompleteAsync();
        }

        using var output = new StringWriter();
        new TimelineText(output, new ConsoleStyle(false)).Write(new RecordingReader(fixture.SessionPath("shown")), 20);
        // Without the time in front ("+   0.012s  "), which the test does not control.
        var lines = output.ToString().Split(Environment.NewLine).Select(l => Regex.Replace(l, @"^\+ *[0-9.]+s  ", "")).ToList();

        Assert.That(lines[0], Does.Contain("session shown: alice → web as deploy from 192.0.2.20:50022, ssh (publickey " + SshRecordingWriter.Fingerprint + ")"));
        Assert.That(lines.Skip(1).Take(lines.Count - 3), Is.EqualTo(new[]
        {
            "login alice+web by publickey key " + SshRecordingWriter.Fingerprint + " to web: success",
            "upstream web at 127.0.0.1:2222 as deploy, host key SHA256:hostkeyhostkey: success",
            "channel 0 opened: session, by the client",
            "channel 0: terminal xterm-256color 120x40",
            "channel 0: env LANG=C.UTF-8",
            "channel 0: shell",
            "channel 0 output: 12 bytes in 2 messages",
            "channel 0 input: 2 bytes in 2 messages",
            "channel 0 stderr: 7 bytes",
            "channel 0: resized to 100x30",
            "channel 1 opened: session, by the client",
            "channel 1: exec systemctl restart nginx",
            "channel 1: signal INT",
            "channel 1: killed by signal KILL (core dumped): killed",
            "channel refused: direct-tcpip from the client: port forwarding is not allowed",
            "channel 0: exit status 0",
            "channel 0: end of data from the server",
            "channel 0 closed by the server",
            "channel 0 closed by the client",
            "a data record that is not an SSH channel message (3 bytes)",
            "the proxy ended the session (revoked): token 'b7c1' has been revoked",
            "disconnect: the client disconnected",
        }));
        Assert.That(output.ToString(), Does.Not.Contain("TOPSECRET"));
        Assert.That(lines[^2], Does.StartWith("sealed: "));
    }

    [Test]
    public async Task Forwarding_and_approvals_read_as_sentences()
    {
        using var fixture = new RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "forwarded");
            await ssh.EventAsync("channel-open", new JsonObject
            {
                ["channel"] = 0, ["type"] = "direct-tcpip", ["from"] = "client", ["host"] = "db.internal", ["port"] = 5432, ["originator"] = "127.0.0.1:50000",
                ["rule"] = "db-tunnels",
            });
            await ssh.EventAsync("global-request", new JsonObject
            {
                ["request"] = "tcpip-forward", ["from"] = "client", ["address"] = "localhost", ["port"] = 0, ["rule"] = "reverse",
            });
            await ssh.EventAsync("global-reply", new JsonObject
            {
                ["request"] = "tcpip-forward", ["address"] = "localhost", ["port"] = 0, ["success"] = true, ["bound_port"] = 40123,
            });
            await ssh.EventAsync("global-request", new JsonObject
            {
                ["request"] = "tcpip-forward", ["from"] = "client", ["address"] = "0.0.0.0", ["port"] = 80, ["refused"] = "no rule allows it",
            });
            await ssh.EventAsync("channel-open", new JsonObject
            {
                ["channel"] = 1, ["type"] = "forwarded-tcpip", ["from"] = "server", ["host"] = "localhost", ["port"] = 40123, ["originator"] = "127.0.0.1:41000",
                ["rule"] = "reverse",
            });
            await ssh.OpenAsync(2);
            await ssh.RequestAsync(2, "exec", new() { ["command"] = "kill -HUP 1", ["approval"] = "apr-0123456789" });
            await ssh.EventAsync("approval", new JsonObject
            {
                ["channel"] = 2, ["status"] = "requested", ["request"] = "apr-0123456789", ["rule"] = "kill-needs-approval",
                ["approvers"] = new JsonArray("dba", "dora"),
            });
            await ssh.EventAsync("approval", new JsonObject
            {
                ["channel"] = 2, ["status"] = "denied", ["request"] = "apr-0123456789", ["rule"] = "kill-needs-approval", ["decided_by"] = "dora",
                ["reason"] = "not now",
            });
            await ssh.CompleteAsync();
        }

        using var output = new StringWriter();
        new TimelineText(output, new ConsoleStyle(false)).Write(new RecordingReader(fixture.SessionPath("forwarded")), 20);
        var lines = output.ToString().Split(Environment.NewLine).Select(l => Regex.Replace(l, @"^\+ *[0-9.]+s  ", "")).ToList();

        Assert.That(lines.Skip(3).Take(8), Is.EqualTo(new[]
        {
            "channel 0 opened: direct-tcpip to db.internal:5432 from 127.0.0.1:50000, by the client, rule db-tunnels",
            "global request tcpip-forward localhost:0 from the client, rule reverse",
            "the target agreed to tcpip-forward localhost:0, listening on port 40123",
            "global request tcpip-forward 0.0.0.0:80 from the client refused: no rule allows it",
            "channel 1 opened: forwarded-tcpip on localhost:40123 from 127.0.0.1:41000, by the server, rule reverse",
            "channel 2 opened: session, by the client",
            "channel 2: exec kill -HUP 1 (held for approval: apr-0123456789)",
            "channel 2: approval apr-0123456789 requested under rule kill-needs-approval, approvers dba, dora",
        }));
        Assert.That(lines[11], Is.EqualTo("channel 2: approval apr-0123456789 denied by dora under rule kill-needs-approval: not now"));
    }
}
