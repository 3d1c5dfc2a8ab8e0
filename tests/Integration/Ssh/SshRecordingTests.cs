using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// SSH sessions through the proxy leave a sealed, verifiable recording: who logged in how (key fingerprint, or the
/// password method without the password), the proxy's own login to the target, every channel request (exec command,
/// pty, window-change, exit-status from the server) and the channel data as CHANNEL_DATA messages with the proxy's
/// channel number.
/// </summary>
[TestFixture]
public sealed class SshRecordingTests : RecordedSshProxyFixture
{
    private const byte ChannelData = 94;

    private static List<JsonObject> Events(IEnumerable<SessionRecord> records, string type) =>
        records.Where(r => r.EventType == type).Select(r => r.Fields!).ToList();

    private static string Text(JsonObject fields, string name) => fields[name]?.GetValue<string>() ?? "";

    private static int Number(JsonObject fields, string name) => fields[name]?.GetValue<int>() ?? -1;

    /// <summary>Data records holding CHANNEL_DATA for <paramref name="channel"/> in <paramref name="direction"/>, as text.</summary>
    private static string ChannelText(IEnumerable<SessionRecord> records, RecordDirection direction, int channel)
    {
        var text = new StringBuilder();
        foreach (var record in records.Where(r => r.Type == RecordType.Data && r.Direction == direction))
        {
            var message = record.Data.Span;
            if (message.Length >= 9 && message[0] == ChannelData && BinaryPrimitives.ReadUInt32BigEndian(message[1..]) == channel)
            {
                var length = (int)BinaryPrimitives.ReadUInt32BigEndian(message[5..]);
                Assert.That(length, Is.EqualTo(message.Length - 9), "the recorded message is one whole CHANNEL_DATA");
                text.Append(Encoding.UTF8.GetString(message[9..]));
            }
        }

        return text.ToString();
    }

    private string AllRecordedBytes() =>
        string.Concat(Directory.EnumerateFiles(RecordingDirectory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != ".lock")
            .Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));

    private void AssertVerified(SessionSummary session)
    {
        var report = Store.Verify(session.SessionId);
        Assert.That(report.IsValid, Is.True, report.ToString());
        Assert.That(report.SessionsChecked, Is.EqualTo(1));
    }

    [Test]
    public async Task An_exec_with_the_key_records_who_what_and_the_output()
    {
        const string command = "echo recorded-output; exit 7";
        var session = (await NewSealedSessionsAsync(async () =>
        {
            var ssh = await Proxy.RunSshAsync(command);
            Assert.That(ssh.ExitCode, Is.EqualTo(7), ssh.StandardError);
            Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("recorded-output"));
        })).Single();

        var keyFingerprint = (await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-l", "-E", "sha256", "-f", Proxy.ClientKeyFile + ".pub"]))
            .StandardOutput.Split(' ')[1];
        var metadata = Store.OpenSession(session.SessionId).Metadata;
        Assert.That((metadata.Protocol, metadata.Identity, metadata.Target), Is.EqualTo(("ssh", SshProxyInstance.UserName, SshProxyInstance.TargetName)));
        Assert.That((session.Protocol, session.Identity), Is.EqualTo(("ssh", SshProxyInstance.UserName)));
        Assert.That(metadata.AuthenticationMethod, Is.EqualTo("publickey"));
        Assert.That(metadata.CredentialId, Is.EqualTo(keyFingerprint));
        Assert.That(metadata.UpstreamAccount, Is.EqualTo(LocalSshd.UserName));

        var records = Records(session);
        Assert.That(records[0].Type, Is.EqualTo(RecordType.Start));
        Assert.That(records[^1].Type, Is.EqualTo(RecordType.Seal));

        var login = Events(records, "login").Single(e => Text(e, "outcome") == "success");
        Assert.That((Text(login, "user"), Text(login, "method"), Text(login, "key_fingerprint")),
            Is.EqualTo((SshProxyInstance.UserName, "publickey", keyFingerprint)));

        var upstream = Events(records, "upstream").Single();
        Assert.That(Text(upstream, "outcome"), Is.EqualTo("success"));
        Assert.That(Text(upstream, "host_key"), Is.EqualTo(await Sshd.HostKeyFingerprintAsync()));
        Assert.That(Text(upstream, "account"), Is.EqualTo(LocalSshd.UserName));

        var open = Events(records, "channel-open").Single();
        Assert.That(Text(open, "type"), Is.EqualTo("session"));
        var channel = Number(open, "channel");

        var requests = Events(records, "channel-request").Where(e => Number(e, "channel") == channel).ToList();
        var exec = requests.Single(e => Text(e, "request") == "exec");
        Assert.That((Text(exec, "from"), Text(exec, "command")), Is.EqualTo(("client", command)));
        var exit = requests.Single(e => Text(e, "request") == "exit-status");
        Assert.That((Text(exit, "from"), Number(exit, "status")), Is.EqualTo(("server", 7)));
        Assert.That(Events(records, "channel-close").Where(e => Number(e, "channel") == channel).Select(e => Text(e, "from")),
            Is.EquivalentTo(new[] { "client", "server" }));

        Assert.That(ChannelText(records, RecordDirection.ServerToClient, channel), Is.EqualTo("recorded-output\n"));
        Assert.That(Events(records, "disconnect"), Has.Count.EqualTo(1));
        AssertVerified(session);
    }

    [Test]
    public async Task A_pty_shell_records_the_terminal_its_resize_what_was_typed_and_the_exit_status()
    {
        string remoteTerm = "";
        var session = (await NewSealedSessionsAsync(async () =>
        {
            await using var tmux = await Tmux.StartAsync(Proxy.SshArguments(["-tt"]), columns: 100, rows: 30);
            await tmux.TypeLineAsync("echo \"term=[$TERM]\" pty-$((3*4))-out");
            var (seen, screen) = await tmux.WaitForScreenAsync(s => s.Contains("pty-12-out", StringComparison.Ordinal));
            Assert.That(seen, Is.True, screen);
            // The output's value, not the typed "$TERM".
            remoteTerm = Regex.Match(screen, @"term=\[([^$\]]+)\]").Groups[1].Value;
            await tmux.ResizeAsync(columns: 120, rows: 40);
            (var resized, screen) = await tmux.WaitForShellSizeAsync(rows: 40, columns: 120);
            Assert.That(resized, Is.True, screen);
            await tmux.TypeLineAsync("exit 3");
            Assert.That(await tmux.WaitForExitStatusAsync(), Is.EqualTo(3), await tmux.CaptureAsync());
        })).Single();

        var records = Records(session);
        var channel = Number(Events(records, "channel-open").Single(), "channel");
        var requests = Events(records, "channel-request").Where(e => Number(e, "channel") == channel).ToList();
        var pty = requests.Single(e => Text(e, "request") == "pty-req");
        Assert.That(remoteTerm, Is.Not.Empty);
        Assert.That((Text(pty, "from"), Text(pty, "term"), Number(pty, "cols"), Number(pty, "rows")), Is.EqualTo(("client", remoteTerm, 100, 30)));
        Assert.That(requests.Where(e => Text(e, "request") == "shell").Select(e => Text(e, "from")), Is.EqualTo(new[] { "client" }));
        var resizes = requests.Where(e => Text(e, "request") == "window-change").ToList();
        Assert.That(resizes, Is.Not.Empty);
        Assert.That((Number(resizes[^1], "cols"), Number(resizes[^1], "rows")), Is.EqualTo((120, 40)));
        var exit = requests.Single(e => Text(e, "request") == "exit-status");
        Assert.That((Text(exit, "from"), Number(exit, "status")), Is.EqualTo(("server", 3)));

        // What was typed goes up in CHANNEL_DATA (the pty echoes it back); the shell's output comes down.
        Assert.That(ChannelText(records, RecordDirection.ClientToServer, channel), Does.Contain("exit 3"));
        Assert.That(ChannelText(records, RecordDirection.ServerToClient, channel), Does.Contain("pty-12-out").And.Contain("size").And.Contain("-40x120-end"));
        AssertVerified(session);
    }

    private SshClient SshNetClient(string password)
    {
        var client = new SshClient("127.0.0.1", Proxy.Port, SshProxyInstance.UserName, password);
        var expected = Proxy.HostKeyFingerprint["SHA256:".Length..];
        client.HostKeyReceived += (_, e) => e.CanTrust = e.FingerPrintSHA256 == expected;
        return client;
    }

    [Test]
    public async Task A_password_login_records_the_method_and_never_the_password()
    {
        var session = (await NewSealedSessionsAsync(() =>
        {
            using var client = SshNetClient(SshProxyInstance.UserPassword);
            client.Connect();
            using var command = client.RunCommand("echo by-password");
            Assert.That((command.ExitStatus, command.Result), Is.EqualTo(((int?)0, "by-password\n")));
            client.Disconnect();
            return Task.CompletedTask;
        })).Single();

        var metadata = Store.OpenSession(session.SessionId).Metadata;
        Assert.That((metadata.Identity, metadata.AuthenticationMethod), Is.EqualTo((SshProxyInstance.UserName, "password")));
        var login = Events(Records(session), "login").Single(e => Text(e, "outcome") == "success");
        Assert.That(Text(login, "method"), Is.EqualTo("password"));
        Assert.That(login.ContainsKey("key_fingerprint"), Is.False);
        AssertVerified(session);

        var everything = AllRecordedBytes();
        Assert.That(everything, Does.Contain("by-password"), "the files are searchable as they are (not compressed)");
        Assert.That(everything, Does.Not.Contain(SshProxyInstance.UserPassword), "alice's password");
    }

    [Test]
    public async Task A_refused_password_is_recorded_as_a_failed_login_without_the_password()
    {
        const string wrong = "not-alices-password-5a1b";
        var sessions = await NewSealedSessionsAsync(() =>
        {
            using var client = SshNetClient(wrong);
            Assert.Throws<SshAuthenticationException>(client.Connect);
            return Task.CompletedTask;
        });

        var session = sessions.Single();
        Assert.That(session.Identity, Is.Null, "nobody was authenticated");
        var logins = Events(Records(session), "login");
        Assert.That(logins, Is.Not.Empty);
        Assert.That(logins.Where(e => Text(e, "method") == "password").Select(e => Text(e, "outcome")), Is.Not.Empty.And.All.EqualTo("failure"));
        Assert.That(Events(Records(session), "upstream"), Is.Empty, "no login to the target without an authenticated user");
        AssertVerified(session);
        Assert.That(AllRecordedBytes(), Does.Not.Contain(wrong));
    }
}
