using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Tests.Unit.Recording;
using HoopProxy.Tests.Unit.Sessions;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary><c>sessions show</c> prints typed-line events: the line, why it is uncertain, how it ended, and a block in red.</summary>
[TestFixture]
public sealed class TypedLineTimelineTests
{
    [Test]
    public async Task Typed_lines_read_as_sentences_with_control_characters_made_visible()
    {
        using var fixture = new RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "typed");
            await ssh.OpenAsync(0);
            await ssh.ShellAsync(0);
            await ssh.EventAsync("typed-line", new JsonObject { ["channel"] = 0, ["line"] = "ls -l", ["uncertain"] = false });
            await ssh.EventAsync("typed-line", new JsonObject
            {
                ["channel"] = 0, ["line"] = "cat /etc/hostn", ["uncertain"] = true, ["reason"] = "Tab completion: what the shell completed is not known",
            });
            await ssh.EventAsync("typed-line", new JsonObject { ["channel"] = 0, ["line"] = "printf '\u001b[2J'", ["uncertain"] = false, ["cancelled"] = true });
            await ssh.EventAsync("typed-line", new JsonObject
            {
                ["channel"] = 0, ["line"] = "", ["uncertain"] = false, ["redacted"] = "typed at what looks like a password prompt that echoed nothing",
            });
            await ssh.EventAsync("typed-line", new JsonObject { ["channel"] = 0, ["line"] = "echo first", ["uncertain"] = false, ["withheld"] = true });
            await ssh.EventAsync("typed-line", new JsonObject
            {
                ["channel"] = 0, ["line"] = "rm -rf /", ["uncertain"] = false, ["blocked"] = "the typed command line is blocked by rule \"no-rm\"",
            });
            await ssh.CompleteAsync();
        }

        using var output = new StringWriter();
        new SshTimelineText(output, new ConsoleStyle(false)).Write(new RecordingReader(fixture.SessionPath("typed")).ReadRecords());
        var lines = output.ToString().Split(Environment.NewLine).Select(l => Regex.Replace(l, @"^\+ *[0-9.]+s  ", ""))
            .Where(l => l.Contains("typed", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Is.EqualTo(new[]
        {
            "channel 0 typed: ls -l",
            "channel 0 typed: cat /etc/hostn (uncertain: Tab completion: what the shell completed is not known)",
            "channel 0 typed (cancelled): printf '^[[2J'",
            "channel 0 typed: [not shown: typed at what looks like a password prompt that echoed nothing]",
            "channel 0 typed (withheld: never reached the shell): echo first",
            "channel 0 typed: rm -rf /: blocked, the session ended: the typed command line is blocked by rule \"no-rm\"",
        }));
    }
}
