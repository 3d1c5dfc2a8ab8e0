using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using HoopProxy.Ssh.Policy;
using HoopProxy.Ssh.Session;
using HoopProxy.Ssh.Shell;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

/// <summary>
/// The shell channel's observer: typed-line events while recording, Block rules judged on every entered line (recording
/// or not), the end of the session for a blocked line, and continued lines judged as one command.
/// </summary>
[TestFixture]
public sealed class TypedLineObserverTests
{
    private static readonly ChannelPolicy Rules = new(
    [
        new ChannelRule("no-rm", ChannelAction.Block) { Channels = [ChannelPolicy.Shell], Commands = ["rm"] },
        new ChannelRule("no-root-wipe", ChannelAction.Block) { Pattern = new System.Text.RegularExpressions.Regex(@"-rf\s+/(\s|$)") },
        new ChannelRule("exec-only", ChannelAction.Block) { Channels = [ChannelPolicy.Exec], Commands = ["ls"] },
    ]);

    private static string? Refuse(string line)
    {
        var verdict = Rules.DecideTypedLine("alice", [], "web", line);
        return verdict.Action == ChannelAction.Block ? $"blocked by rule \"{verdict.Rule}\"" : null;
    }

    private static TypedLineObserver Observer(bool recording = true, bool terminal = true) =>
        new(terminal ? new TypedLineReader() : new ScriptLineReader(), Refuse, recording, terminal, TypedLineReader.DefaultMaxLineLength);

    private static List<ChannelObservation> Input(IChannelObserver observer, string keys)
    {
        var found = new List<ChannelObservation>();
        observer.OnData(fromClient: true, Encoding.UTF8.GetBytes(keys), found);
        return found;
    }

    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Json(ChannelObservation observation) => observation.Fields.ToJsonString(Readable);

    [Test]
    public void Entered_lines_are_typed_line_events_and_rules_for_other_channels_do_not_apply()
    {
        var found = Input(Observer(), "ls -l\rcat /etc/hostn\t\r");
        Assert.That(found.Select(o => o.Event), Is.All.EqualTo("typed-line"));
        Assert.That(found.Select(Json), Is.EqualTo(new[]
        {
            """{"line":"ls -l","uncertain":false}""",
            """{"line":"cat /etc/hostn","uncertain":true,"reason":"Tab completion: what the shell completed is not known"}""",
        }));
        Assert.That(found.Select(o => o.EndSession), Is.All.Null);
    }

    [Test]
    public void A_blocked_line_ends_the_session_and_what_came_with_it_is_withheld()
    {
        var observer = Observer();
        var found = Input(observer, "echo first\rsudo rm -rf /srv\recho never\r");
        Assert.That(found.Select(Json), Is.EqualTo(new[]
        {
            """{"line":"echo first","uncertain":false,"withheld":true}""",
            """{"line":"sudo rm -rf /srv","uncertain":false,"blocked":"blocked by rule \"no-rm\""}""",
        }), "the line after the blocked one in the same message is not read: nothing of that message reaches the shell");
        Assert.That(found[1].EndSession, Is.EqualTo("blocked by rule \"no-rm\""));
        Assert.That(Input(observer, "echo after\r"), Is.Empty, "the observer is done once it ended the session");
    }

    [Test]
    public void Blocking_does_not_depend_on_recording_and_only_the_blocked_line_is_reported_then()
    {
        var observer = Observer(recording: false);
        Assert.That(Input(observer, "ls\r"), Is.Empty);
        var found = Input(observer, "ls\rchmod 000 -rf /\r");
        Assert.That(found.Single().EndSession, Is.EqualTo("blocked by rule \"no-root-wipe\""));
    }

    [Test]
    public void Cancelled_and_unfinished_lines_are_recorded_but_not_judged()
    {
        var observer = Observer();
        var found = Input(observer, "rm -rf /\u0003");
        Assert.That(found.Select(Json), Is.EqualTo(new[] { """{"line":"rm -rf /","uncertain":false,"cancelled":true}""" }));
        Input(observer, "rm -rf /tmp/half");
        var closed = new List<ChannelObservation>();
        observer.OnClose(closed);
        Assert.That(closed.Select(Json), Is.EqualTo(new[] { """{"line":"rm -rf /tmp/half","uncertain":false,"unfinished":true}""" }));
        Assert.That(closed.Single().EndSession, Is.Null);
    }

    [Test]
    public void Continued_lines_are_judged_as_the_one_command_the_shell_runs()
    {
        var observer = Observer();
        Assert.That(Input(observer, "chmod 000 -rf \\\r").Single().EndSession, Is.Null);
        var found = Input(observer, "/\r");
        Assert.That(Json(found.Single()), Is.EqualTo("""{"line":"/","uncertain":false,"command":"chmod 000 -rf /","blocked":"blocked by rule \"no-root-wipe\""}"""));

        observer = Observer();
        Assert.That(Input(observer, "echo 'a\r").Single().EndSession, Is.Null, "an open quote continues on the next line");
        Assert.That(Input(observer, "'; rm x\r").Single().EndSession, Is.EqualTo("blocked by rule \"no-rm\""));
    }

    [Test]
    public void A_line_at_a_password_prompt_is_left_out_of_the_record_but_still_judged()
    {
        var observer = Observer();
        observer.OnData(fromClient: false, "Password: "u8, new List<ChannelObservation>());
        var found = Input(observer, "hunter2\r");
        Assert.That(Json(found.Single()), Is.EqualTo("""{"line":"","uncertain":false,"redacted":"typed at what looks like a password prompt that echoed nothing"}"""));

        observer.OnData(fromClient: false, "\r\nPassword: "u8, new List<ChannelObservation>());
        Assert.That(Input(observer, "rm -rf /\r").Single().EndSession, Is.Not.Null, "a prompt that only looks like a password prompt lets nothing past the rules");
    }

    [Test]
    public void Without_a_terminal_the_script_lines_are_judged_and_marked()
    {
        var observer = Observer(terminal: false);
        var found = Input(observer, "ls\u007f\nrm -f x\n");
        Assert.That(Json(found[0]), Is.EqualTo("""{"line":"ls\u007F","uncertain":false,"terminal":false,"withheld":true}"""));
        Assert.That(found[1].EndSession, Is.EqualTo("blocked by rule \"no-rm\""));
    }
}
