using System.Text;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Sessions.Ssh;
using HoopProxy.Tests.Unit.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Sessions;

/// <summary><c>sessions replay</c> over recordings written through the real store, with fake time.</summary>
public sealed class SessionReplayTests
{
    private RecordingFixture _fixture = null!;

    [SetUp]
    public void CreateFixture() => _fixture = new RecordingFixture();

    [TearDown]
    public void DeleteFixture() => _fixture.Dispose();

    [Test]
    public async Task Plays_the_server_output_of_the_terminal_channel_in_order_and_names_the_session_and_its_exit()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "mixed");
            await ssh.OpenAsync(0);
            await ssh.ExecAsync(0, "uptime");
            await ssh.OpenAsync(1);
            await ssh.PtyAsync(1, "xterm-256color", 120, 40);
            await ssh.ShellAsync(1);
            await ssh.OutputAsync(1, "$ ");
            await ssh.OutputAsync(0, "up 3 days\n");
            await ssh.InputAsync(1, "l");
            await ssh.OutputAsync(1, "l");
            await ssh.InputAsync(1, "s\r");
            await ssh.StderrAsync(1, "ls: cannot open\r\n");
            await ssh.OutputAsync(1, "\e[1mREADME\e[0m\r\n");
            await ssh.ExitStatusAsync(0, 0);
            await ssh.ExitStatusAsync(1, 3);
            await ssh.CloseAsync(1);
            await ssh.CompleteAsync();
        }

        var (code, output, errors) = await ReplayAsync(new ReplayRequest("mixed", new ReplayPace()));

        Assert.That(code, Is.Zero, errors);
        // The pty channel is chosen although the exec channel opened first; the client's keystrokes are not played.
        Assert.That(Encoding.UTF8.GetString(output), Is.EqualTo("$ lls: cannot open\r\n\e[1mREADME\e[0m\r\n"));
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.Contain("session mixed").And.Contain("alice → web as deploy").And.Contain("2026-11-26 10:00:00 UTC")
            .And.Contain("channel 1: shell (xterm-256color 120x40)"));
        Assert.That(lines[^1], Is.EqualTo("channel 1: exit status 3"));
    }

    [Test]
    public async Task An_exec_channel_is_played_when_no_channel_had_a_terminal_and_names_its_command()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "exec");
            await ssh.OpenAsync(0);
            await ssh.RequestAsync(0, "subsystem", new() { ["subsystem"] = "sftp" });
            await ssh.OutputAsync(0, "\0\0\0\x05sftp!");
            await ssh.OpenAsync(1);
            await ssh.ExecAsync(1, "cat /etc/hostname");
            await ssh.OutputAsync(1, "web-1\n");
            await ssh.ExitStatusAsync(1, 0);
            await ssh.CompleteAsync();
        }

        var (code, output, errors) = await ReplayAsync(new ReplayRequest("exec", new ReplayPace()));

        Assert.That(code, Is.Zero, errors);
        Assert.That(Encoding.UTF8.GetString(output), Is.EqualTo("web-1\n"));
        Assert.That(errors, Does.Contain("channel 1: cat /etc/hostname").And.Contain("channel 1: exit status 0"));
    }

    [Test]
    public async Task The_channel_option_plays_the_channel_named_and_an_unknown_one_is_refused_with_the_channels_there_are()
    {
        await WriteTwoChannelSessionAsync("two");

        var (code, output, errors) = await ReplayAsync(new ReplayRequest("two", new ReplayPace(), Channel: 0));
        Assert.That(code, Is.Zero, errors);
        Assert.That(Encoding.UTF8.GetString(output), Is.EqualTo("from exec"));
        Assert.That(errors, Does.Contain("channel 0: date"));

        (code, output, errors) = await ReplayAsync(new ReplayRequest("two", new ReplayPace(), Channel: 7));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(errors, Does.Contain("session two has no channel 7 (its channels: 0, 1)"));
    }

    [Test]
    public async Task Pauses_are_the_recorded_gaps_divided_by_the_speed()
    {
        var times = await WritePacedSessionAsync("paced", gapsMs: [30, 10, 60, 20]);

        var (code, output, errors, pauses) = await ReplayWithPausesAsync(new ReplayRequest("paced", new ReplayPace(Speed: 2)));

        Assert.That(code, Is.Zero, errors);
        Assert.That(Encoding.UTF8.GetString(output), Is.EqualTo("0123"));
        // From the channel's opening to the first output, then between outputs: each gap as recorded, halved.
        AssertPaced(pauses, Gaps(times.Opened, times.Outputs).Select(g => g / 2));
        // Each pause comes before its output, never after: the bytes written so far are those of the earlier outputs.
        Assert.That(pauses.Select(p => p.OutputWritten), Is.EqualTo(new long[] { 0, 1, 2, 3 }));
    }

    [Test]
    public async Task From_writes_the_earlier_output_at_once_then_paces_from_that_point()
    {
        var times = await WritePacedSessionAsync("from", gapsMs: [20, 20, 40, 20]);
        // Halfway between the second and the third output.
        var from = times.Outputs[1] + (times.Outputs[2] - times.Outputs[1]) / 2;

        var (code, output, errors, pauses) = await ReplayWithPausesAsync(new ReplayRequest("from", new ReplayPace(From: from)));

        Assert.That(code, Is.Zero, errors);
        Assert.That(Encoding.UTF8.GetString(output), Is.EqualTo("0123"));
        AssertPaced(pauses, [times.Outputs[2] - from, times.Outputs[3] - times.Outputs[2]]);
        Assert.That(pauses[0].OutputWritten, Is.EqualTo(2), "the output before --from is on the screen before the first pause");
        Assert.That(errors, Does.Contain($"from {SessionTime.Format(from)}"));
    }

    [Test]
    public async Task Max_idle_caps_every_pause_and_leaves_shorter_ones_as_they_were()
    {
        var times = await WritePacedSessionAsync("idle", gapsMs: [5, 300, 5, 5]);
        var cap = TimeSpan.FromMilliseconds(50);

        var (code, output, errors, pauses) = await ReplayWithPausesAsync(new ReplayRequest("idle", new ReplayPace(MaxIdle: cap)));

        Assert.That(code, Is.Zero, errors);
        Assert.That(Encoding.UTF8.GetString(output), Is.EqualTo("0123"));
        var gaps = Gaps(times.Opened, times.Outputs);
        Assert.That(gaps.Count(g => g > cap), Is.GreaterThanOrEqualTo(1), "the 300 ms gap is longer than the cap");
        AssertPaced(pauses, gaps.Select(g => g > cap ? cap : g));
    }

    [Test]
    public async Task Stopping_ends_the_replay_at_the_pause_it_was_in_and_resets_the_terminal()
    {
        var times = await WritePacedSessionAsync("stopped", gapsMs: [10, 10, 10, 10]);

        using var stop = new CancellationTokenSource();
        var (code, output, errors, _) = await ReplayWithPausesAsync(new ReplayRequest("stopped", new ReplayPace(), ResetTerminalOnStop: true), stop, stopAtPause: 2);

        Assert.That(code, Is.EqualTo(SessionReplay.Interrupted));
        Assert.That(Encoding.UTF8.GetString(output), Is.EqualTo("01\e[0m\e[?25h\e[?1049l"));
        Assert.That(errors, Does.EndWith($"replay stopped at {SessionTime.Format(times.Outputs[1])}{Environment.NewLine}"));
    }

    [Test]
    public async Task A_postgres_session_is_refused_with_a_pointer_to_show()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await RecordingFixture.WriteShortSessionAsync(store, "pg");
        }

        var (code, output, errors) = await ReplayAsync(new ReplayRequest("pg", new ReplayPace()));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(errors, Does.Contain("session pg is a postgres session; replay plays SSH terminal sessions — use show"));
    }

    [Test]
    public async Task An_ssh_session_without_a_terminal_channel_is_refused()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "sftp");
            await ssh.OpenAsync(0);
            await ssh.RequestAsync(0, "subsystem", new() { ["subsystem"] = "sftp" });
            await ssh.OutputAsync(0, "sftp bytes");
            await ssh.CompleteAsync();
        }

        var (code, output, errors) = await ReplayAsync(new ReplayRequest("sftp", new ReplayPace()));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(errors, Does.Contain("session sftp has no terminal channel (no pty, shell or exec); replay plays SSH terminal sessions — use show"));
    }

    [Test]
    public async Task A_tampered_recording_is_refused_and_played_only_with_unverified_under_a_warning()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "tampered");
            await ssh.OpenAsync(0);
            await ssh.ExecAsync(0, "id");
            await ssh.OutputAsync(0, "uid=0(root)\n");
            await ssh.CompleteAsync();
        }

        var path = _fixture.SessionPath("tampered");
        var bytes = await File.ReadAllBytesAsync(path);
        var at = bytes.AsSpan().IndexOf("uid=0"u8);
        bytes[at + 4] = (byte)'1';
        await File.WriteAllBytesAsync(path, bytes);

        var (code, output, errors) = await ReplayAsync(new ReplayRequest("tampered", new ReplayPace()));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(errors, Does.Contain("session tampered fails verification").And.Contain("refused").And.Contain("HashMismatch"));

        (code, output, errors) = await ReplayAsync(new ReplayRequest("tampered", new ReplayPace(), Unverified: true));
        Assert.That(code, Is.Zero, errors);
        Assert.That(Encoding.UTF8.GetString(output), Is.EqualTo("uid=1(root)\n"));
        Assert.That(errors, Does.StartWith("warning: session tampered fails verification"));
    }

    [Test]
    public async Task An_unknown_session_is_refused()
    {
        await using (await _fixture.OpenAsync())
        {
        }

        var (code, _, errors) = await ReplayAsync(new ReplayRequest("nobody", new ReplayPace()));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(errors, Does.Contain("no recorded session 'nobody'"));
    }

    [TestCase("12.5", 12.5)]
    [TestCase("0", 0)]
    [TestCase("01:05", 65)]
    [TestCase("1:05.25", 65.25)]
    [TestCase("90:00", 5400)]
    [TestCase("1:02:03", 3723)]
    public void Session_times_are_read_as_seconds_or_minutes_and_seconds(string text, double seconds)
    {
        Assert.That(SessionTime.TryParse(text, out var time), Is.True);
        Assert.That(time, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase("")]
    [TestCase("-3")]
    [TestCase("1:75")]
    [TestCase("1:60:00")]
    [TestCase("a:05")]
    [TestCase("1::5")]
    [TestCase("1:2:3:4")]
    [TestCase("1.5:00")]
    public void Other_times_are_refused(string text) => Assert.That(SessionTime.TryParse(text, out _), Is.False);

    private async Task WriteTwoChannelSessionAsync(string sessionId)
    {
        await using var store = await _fixture.OpenAsync();
        await using var ssh = await SshRecordingWriter.StartAsync(store, sessionId);
        await ssh.OpenAsync(0);
        await ssh.ExecAsync(0, "date");
        await ssh.OutputAsync(0, "from exec");
        await ssh.OpenAsync(1);
        await ssh.PtyAsync(1, "xterm", 80, 24);
        await ssh.ShellAsync(1);
        await ssh.OutputAsync(1, "from shell");
        await ssh.CompleteAsync();
    }

    /// <summary>
    /// A shell that prints "0", "1", … with a real pause before each; returns the recorded times (the store takes them from
    /// the monotonic clock, so the test compares against what was recorded, not against what it slept).
    /// </summary>
    private async Task<(TimeSpan Opened, List<TimeSpan> Outputs)> WritePacedSessionAsync(string sessionId, int[] gapsMs)
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, sessionId);
            await ssh.OpenAsync(0);
            await ssh.PtyAsync(0, "xterm", 80, 24);
            await ssh.ShellAsync(0);
            for (var i = 0; i < gapsMs.Length; i++)
            {
                await Task.Delay(gapsMs[i]);
                await ssh.InputAsync(0, "x");
                await ssh.OutputAsync(0, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            await ssh.CompleteAsync();
        }

        var records = new RecordingReader(_fixture.SessionPath(sessionId)).ReadRecords().ToList();
        var opened = records.Single(r => r.EventType == "channel-open").Elapsed;
        var outputs = records.Where(r => r is { Type: RecordType.Data, Direction: RecordDirection.ServerToClient }).Select(r => r.Elapsed).ToList();
        Assert.That(outputs, Has.Count.EqualTo(gapsMs.Length));
        return (opened, outputs);
    }

    /// <summary>
    /// Timers count whole milliseconds (Task.Delay drops the fraction), so each pause may be up to 1 ms short; the replay
    /// keeps one schedule, so the shortfall never adds up: each output is written within 1 ms before its exact time.
    /// </summary>
    private static void AssertPaced(List<RequestedPause> pauses, IEnumerable<TimeSpan> expectedPauses)
    {
        var expected = expectedPauses.ToList();
        Assert.That(pauses, Has.Count.EqualTo(expected.Count), "one pause before each output");
        TimeSpan written = TimeSpan.Zero, due = TimeSpan.Zero;
        for (var i = 0; i < expected.Count; i++)
        {
            written += pauses[i].Delay;
            due += expected[i];
            Assert.That(written, Is.InRange(due - TimeSpan.FromMilliseconds(1), due), $"output {i}: written at {written}, due at {due}");
        }
    }

    private static List<TimeSpan> Gaps(TimeSpan start, List<TimeSpan> times) => times.Select((t, i) => t - (i == 0 ? start : times[i - 1])).ToList();

    private async Task<(int Code, byte[] Output, string Errors)> ReplayAsync(ReplayRequest request)
    {
        var (code, output, errors, _) = await ReplayWithPausesAsync(request);
        return (code, output, errors);
    }

    private async Task<(int Code, byte[] Output, string Errors, List<RequestedPause> Pauses)> ReplayWithPausesAsync(ReplayRequest request,
        CancellationTokenSource? stop = null, int stopAtPause = -1)
    {
        var time = new SteppedTime();
        using var output = new MemoryStream();
        using var errors = new StringWriter();
        var replay = SessionReplay.RunAsync(_fixture.Options, request, output, errors, time, stop?.Token ?? CancellationToken.None);
        var pauses = await time.DriveAsync(replay, output, stop, stopAtPause);
        return (await replay, output.ToArray(), errors.ToString(), pauses);
    }
}
