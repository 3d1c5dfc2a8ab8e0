using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// OpenSSH's <c>ssh -tt</c> in a real terminal (a tmux pane) and a real bash on the target: the command lines typed with
/// Backspace, arrows, Home, Ctrl-U and history are recorded as <c>typed-line</c> events as the shell ran them; a line a
/// Block rule matches ends the session before its Enter reaches the shell; a full-screen program's keys are not lines;
/// a shell without a terminal has its script lines judged too.
/// </summary>
[TestFixture]
public sealed class SshTypedLineTests : RecordedSshProxyFixture
{
    private const string ForbiddenPrefix = "/tmp/hoopproxy-forbidden-";

    protected override Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd) => Task.FromResult<ChannelPolicy?>(new ChannelPolicy(
    [
        new ChannelRule("no-forbidden-marker", ChannelAction.Block) { Channels = [ChannelPolicy.Shell], Pattern = new Regex("^touch " + Regex.Escape(ForbiddenPrefix)) },
        new ChannelRule("no-root-wipe", ChannelAction.Block) { Channels = [ChannelPolicy.Shell], Commands = ["rm"], Pattern = new Regex(@"-rf\s+/(\s|$)") },
    ]));

    private Task<Tmux> StartShellAsync() => StartShellAsync(Proxy.SshArguments(["-tt"]));

    /// <summary>
    /// Starts the command and waits for the shell's prompt: keys typed earlier reach the pane's own terminal in line mode
    /// and arrive in one piece once ssh runs (as type-ahead does), which is not what these tests type.
    /// </summary>
    private static async Task<Tmux> StartShellAsync(IReadOnlyList<string> arguments)
    {
        var tmux = await Tmux.StartAsync(arguments, columns: 120, rows: 40);
        // capture-pane drops the prompt's trailing space.
        var (seen, screen) = await tmux.WaitForScreenAsync(s => s.TrimEnd().EndsWith('$'));
        Assert.That(seen, Is.True, "the shell's prompt: " + screen);
        return tmux;
    }

    private static List<JsonObject> TypedLines(IEnumerable<SessionRecord> records) =>
        records.Where(r => r.EventType == "typed-line").Select(r => r.Fields!).ToList();

    private static string Text(JsonObject fields, string name) => fields[name]?.GetValue<string>() ?? "";

    private static bool Flag(JsonObject fields, string name) => fields[name]?.GetValue<bool>() ?? false;

    private static async Task TypeAsync(Tmux tmux, string text) => await tmux.SendKeysAsync("-l", text);

    private static async Task WaitForAsync(Tmux tmux, string output)
    {
        var (seen, screen) = await tmux.WaitForScreenAsync(s => s.Contains(output, StringComparison.Ordinal));
        Assert.That(seen, Is.True, $"\"{output}\" on the screen: {screen}");
    }

    [Test]
    public async Task Lines_edited_with_Backspace_arrows_Home_Ctrl_U_history_and_Ctrl_R_are_recorded_as_the_shell_ran_them()
    {
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            await using var tmux = await StartShellAsync();
            // Each output ($((…)) evaluated) appears only if the shell ran the edited line, not the keys as typed.
            await TypeAsync(tmux, "echo sum-$((2+4");
            await tmux.SendKeysAsync("BSpace");
            await TypeAsync(tmux, "3))");
            await tmux.SendKeysAsync("Enter");
            await WaitForAsync(tmux, "sum-5");

            await TypeAsync(tmux, "echo product-$((7*))");
            await tmux.SendKeysAsync("Left", "Left");
            await TypeAsync(tmux, "6");
            await tmux.SendKeysAsync("Enter");
            await WaitForAsync(tmux, "product-42");

            await TypeAsync(tmux, "some garbage");
            await tmux.SendKeysAsync("C-u");
            await TypeAsync(tmux, "cho home-$((3+3))");
            await tmux.SendKeysAsync("Home");
            await TypeAsync(tmux, "e");
            await tmux.SendKeysAsync("Enter");
            await WaitForAsync(tmux, "home-6");

            await tmux.SendKeysAsync("Up", "BSpace", "BSpace", "BSpace");
            await TypeAsync(tmux, "4))");
            await tmux.SendKeysAsync("Enter");
            await WaitForAsync(tmux, "home-7");

            await tmux.SendKeysAsync("C-r");
            await TypeAsync(tmux, "produ");
            await tmux.SendKeysAsync("Enter");
            var (again, screen) = await tmux.WaitForScreenAsync(s => Regex.Matches(s, "product-42").Count == 2);
            Assert.That(again, Is.True, "Ctrl-R found and ran the product line again: " + screen);

            await tmux.TypeLineAsync("exit");
            Assert.That(await tmux.WaitForExitStatusAsync(), Is.Zero, await tmux.CaptureAsync());
        });

        var lines = TypedLines(records);
        Assert.That(lines.Select(l => (Text(l, "line"), Flag(l, "uncertain"))), Is.EqualTo(new[]
        {
            ("echo sum-$((2+3))", false),
            ("echo product-$((7*6))", false),
            ("echo home-$((3+3))", false),
            ("echo home-$((3+4))", true),
            ("echo product-$((7*6))", true),
            ("exit", false),
        }));
        Assert.That(Text(lines[3], "reason"), Does.Contain("recalled from history"));
        Assert.That(Text(lines[4], "reason"), Does.Contain("reverse history search"));
        Assert.That(lines.Select(l => l["channel"]!.GetValue<int>()).Distinct().Single(),
            Is.EqualTo(records.Single(r => r.EventType == "channel-open").Fields!["channel"]!.GetValue<int>()));
    }

    [Test]
    public async Task Tab_completion_is_recorded_as_uncertain()
    {
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            await using var tmux = await StartShellAsync();
            await TypeAsync(tmux, "ech");
            await tmux.SendKeysAsync("Tab");
            await TypeAsync(tmux, "completed-$((5+5))");
            await tmux.SendKeysAsync("Enter");
            // bash completed "ech" to "echo " (the only command that starts so), so the shell ran echo.
            await WaitForAsync(tmux, "completed-10");
            await tmux.TypeLineAsync("exit");
            Assert.That(await tmux.WaitForExitStatusAsync(), Is.Zero, await tmux.CaptureAsync());
        });

        var completed = TypedLines(records)[0];
        Assert.That((Text(completed, "line"), Flag(completed, "uncertain")), Is.EqualTo(("echcompleted-$((5+5))", true)),
            "the proxy does not know what the shell completed, and says so");
        Assert.That(Text(completed, "reason"), Does.Contain("Tab completion"));
    }

    [Test]
    public async Task A_line_typed_at_a_password_prompt_without_echo_is_left_out_of_the_record()
    {
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            await using var tmux = await StartShellAsync();
            // The prompt is spelt apart in the command, so only read's own prompt shows "Password: ".
            await tmux.TypeLineAsync("read -rs -p 'Pass''word: ' secret; echo; echo length-${#secret}");
            await WaitForAsync(tmux, "Password:");
            await TypeAsync(tmux, "hunter2-typed");
            await tmux.SendKeysAsync("Enter");
            await WaitForAsync(tmux, "length-13");
            await tmux.TypeLineAsync("exit");
            Assert.That(await tmux.WaitForExitStatusAsync(), Is.Zero, await tmux.CaptureAsync());
        });

        var lines = TypedLines(records);
        Assert.That(lines.Select(l => Text(l, "line")), Is.EqualTo(new[] { "read -rs -p 'Pass''word: ' secret; echo; echo length-${#secret}", "", "exit" }));
        Assert.That(Text(lines[1], "redacted"), Does.Contain("password prompt"));
        Assert.That(lines.Select(l => l.ToJsonString()), Has.None.Contains("hunter2"));
    }

    [Test]
    public async Task A_blocked_line_ends_the_session_before_the_shell_runs_it()
    {
        var marker = ForbiddenPrefix + Guid.NewGuid().ToString("N");
        // ssh's own messages go to a file: the pane, and its screen, are gone once ssh exits.
        var sshErrors = Path.GetTempFileName();
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            await using var tmux = await StartShellAsync(["sh", "-c", "\"$@\" 2>\"$0\"", sshErrors, .. Proxy.SshArguments(["-tt"])]);
            await tmux.TypeLineAsync("echo before-$((1+1))");
            await WaitForAsync(tmux, "before-2");
            // The keys hold "forbiddex", Backspace, "n-…": only the reconstructed line matches the rule.
            await TypeAsync(tmux, "touch " + marker[..(ForbiddenPrefix.Length - 2)] + "x");
            await tmux.SendKeysAsync("BSpace");
            await TypeAsync(tmux, marker[(ForbiddenPrefix.Length - 2)..]);
            await tmux.SendKeysAsync("Enter");
            Assert.That(await tmux.WaitForExitStatusAsync(), Is.EqualTo(255), await tmux.CaptureAsync());
        });

        var errors = await File.ReadAllTextAsync(sshErrors);
        File.Delete(sshErrors);
        Assert.That(errors, Does.Contain("hoopproxy ended the session: the typed command line is blocked by rule \"no-forbidden-marker\""));
        Assert.That(File.Exists(marker), Is.False, "the shell never got the line");
        var lines = TypedLines(records);
        Assert.That(lines.Select(l => Text(l, "line")), Is.EqualTo(new[] { "echo before-$((1+1))", "touch " + marker }));
        Assert.That(Text(lines[1], "blocked"), Is.EqualTo("the typed command line is blocked by rule \"no-forbidden-marker\""));
        Assert.That(lines[0]["blocked"], Is.Null);
        var disconnect = records.Last(r => r.EventType == "disconnect").Fields!;
        Assert.That(Text(disconnect, "reason"), Does.Contain("ended by policy"));
    }

    [Test]
    public async Task Keys_typed_into_a_full_screen_program_are_not_command_lines()
    {
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            await using var tmux = await StartShellAsync();
            await tmux.TypeLineAsync("less /etc/hostname");
            await WaitForAsync(tmux, "(END)");
            // A search in less for "rm -rf /" is no command line: not recorded, not judged (the rule would end the session).
            await TypeAsync(tmux, "/rm -rf /");
            await tmux.SendKeysAsync("Enter");
            await WaitForAsync(tmux, "Pattern not found");
            await tmux.SendKeysAsync("Enter", "q");
            // As a person does: type once the prompt is back (keys that overtake less's switch back are taken as its own).
            var (back, screen) = await tmux.WaitForScreenAsync(s => !s.Contains("Pattern not found", StringComparison.Ordinal) && s.TrimEnd().EndsWith('$'));
            Assert.That(back, Is.True, "the prompt after less: " + screen);
            await tmux.TypeLineAsync("echo after-$((4+4))");
            await WaitForAsync(tmux, "after-8");
            await tmux.TypeLineAsync("exit");
            Assert.That(await tmux.WaitForExitStatusAsync(), Is.Zero, await tmux.CaptureAsync());
        });

        Assert.That(TypedLines(records).Select(l => Text(l, "line")), Is.EqualTo(new[] { "less /etc/hostname", "echo after-$((4+4))", "exit" }));
    }

    [Test]
    public async Task A_shell_without_a_terminal_has_its_script_lines_recorded_and_judged()
    {
        var records = await RecordsOfNewSessionAsync(async () =>
        {
            var ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptions(), "-T", $"{SshProxyInstance.UserName}@127.0.0.1"],
                standardInput: "echo script-$((2*21))\nexit 4\n", timeout: TimeSpan.FromSeconds(60));
            Assert.That(ssh.ExitCode, Is.EqualTo(4), ssh.StandardError);
            Assert.That(ssh.StandardOutput, Does.Contain("script-42"));
        });
        Assert.That(TypedLines(records).Select(l => (Text(l, "line"), l["terminal"]?.GetValue<bool>())),
            Is.EqualTo(new[] { ("echo script-$((2*21))", (bool?)false), ("exit 4", false) }));

        var marker = ForbiddenPrefix + Guid.NewGuid().ToString("N");
        records = await RecordsOfNewSessionAsync(async () =>
        {
            var ssh = await ExternalProcess.RunAsync("ssh", [.. Proxy.SshOptions(), "-T", $"{SshProxyInstance.UserName}@127.0.0.1"],
                standardInput: $"touch {marker}\necho not-reached\n", timeout: TimeSpan.FromSeconds(60));
            Assert.That(ssh.ExitCode, Is.EqualTo(255));
            Assert.That(ssh.StandardError, Does.Contain("hoopproxy ended the session"));
            Assert.That(ssh.StandardOutput, Does.Not.Contain("not-reached"));
        });
        Assert.That(File.Exists(marker), Is.False);
        Assert.That(TypedLines(records).Single(l => l["blocked"] is not null)["line"]!.GetValue<string>(), Is.EqualTo("touch " + marker));
    }
}
