using System.Text;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Host.Sessions;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using HoopProxy.Tests.Unit.Sessions;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// What the SSH proxy really records reads back as the contract says: OpenSSH's ssh with a terminal, through the
/// proxy to the throwaway sshd, then <c>replay</c>, the asciicast export and <c>show</c> of that recording.
/// </summary>
public sealed class SshRecordingReplayTests
{
    [Test]
    public async Task A_terminal_session_through_the_proxy_replays_and_exports_as_the_client_saw_it()
    {
        using var fixture = new RecordingFixture();
        await using (var sshd = await LocalSshd.StartAsync())
        await using (var store = await fixture.OpenAsync())
        await using (var proxy = await SshProxyInstance.StartAsync(sshd, recordings: store))
        {
            var ssh = await ExternalProcess.RunAsync("ssh", [.. proxy.SshOptions(), "-tt", $"{SshProxyInstance.UserName}@127.0.0.1", "printf 'h\\303\\251llo\\n'; exit 3"],
                new Dictionary<string, string> { ["TERM"] = "xterm-256color" }, standardInput: "", timeout: TimeSpan.FromSeconds(60));
            Assert.That(ssh.ExitCode, Is.EqualTo(3), ssh.Combined);
            Assert.That(await Poll.UntilAsync(() => Task.FromResult(store.ListSessions().Any(s => s.State == SessionState.Sealed && s.Protocol == "ssh")),
                TimeSpan.FromSeconds(20)), Is.True);
        }

        var sessionId = Path.GetFileNameWithoutExtension(Directory.EnumerateFiles(fixture.Options.Directory, "ssh-*" + RecordingFormat.FileExtension).Single());

        var time = new SteppedTime();
        using var output = new MemoryStream();
        using var errors = new StringWriter();
        var replay = SessionReplay.RunAsync(fixture.Options, new ReplayRequest(sessionId, new ReplayPace()), output, errors, time, CancellationToken.None);
        await time.DriveAsync(replay, output);
        Assert.That(await replay, Is.Zero, errors.ToString());
        // A pty turns "\n" into "\r\n" on the target's side.
        Assert.That(Encoding.UTF8.GetString(output.ToArray()), Does.Contain("héllo\r\n"));
        Assert.That(errors.ToString(), Does.Contain("printf").And.Contain("(xterm-256color ").And.EndWith($"channel 0: exit status 3{Environment.NewLine}"));

        using var cast = new MemoryStream();
        Assert.That(AsciicastExport.Run(fixture.Options, new AsciicastRequest(sessionId), () => cast, errors), Is.Zero, errors.ToString());
        var lines = Encoding.UTF8.GetString(cast.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.Contain("\"title\":\"alice@web: printf").And.Contain("\"env\":{\"TERM\":\"xterm-256color\"}"));
        Assert.That(string.Concat(lines.Skip(1)), Does.Contain("héllo"));

        using var shown = new StringWriter();
        new TimelineText(shown, new ConsoleStyle(false)).Write(new RecordingReader(fixture.SessionPath(sessionId)), 20);
        Assert.That(shown.ToString(), Does.Contain("channel 0: terminal xterm-256color").And.Contain("channel 0: exec printf")
            .And.Contain("channel 0 output: ").And.Contain("channel 0: exit status 3").And.Not.Contain("héllo"));
    }
}
