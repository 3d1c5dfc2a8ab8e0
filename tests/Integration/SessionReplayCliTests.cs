using System.Diagnostics;
using System.Text;
using System.Text.Json;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Unit.Recording;
using HoopProxy.Tests.Unit.Sessions;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// The hoopproxy executable's <c>sessions replay</c>, <c>export --format asciicast</c>, <c>show</c> and <c>list</c> on a
/// recorded SSH session: the options, exit codes and streams as a person at a terminal gets them, Ctrl-C included, and
/// asciinema's own reading of the cast.
/// </summary>
public sealed class SessionReplayCliTests
{
    private const string SessionId = "ssh-shell";
    private static readonly string Hoopproxy = Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");

    private RecordingFixture _fixture = null!;
    private string _config = null!;

    [OneTimeSetUp]
    public async Task RecordSessions()
    {
        _fixture = new RecordingFixture();
        await using (var store = await _fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, SessionId);
            await ssh.OpenAsync(0);
            await ssh.PtyAsync(0, "xterm-256color", 100, 30);
            await ssh.ShellAsync(0);
            await ssh.OutputAsync(0, "$ ");
            await Task.Delay(50);
            await ssh.InputAsync(0, "sudo systemctl restart nginx\r");
            await ssh.OutputAsync(0, "sudo systemctl restart nginx\r\n");
            await ssh.StderrAsync(0, "nginx: prêt\r\n");
            await ssh.ExitStatusAsync(0, 0);
            await ssh.CloseAsync(0);
            await ssh.CompleteAsync();

            await using var exec = await SshRecordingWriter.StartAsync(store, "ssh-exec");
            await exec.OpenAsync(0);
            await exec.ExecAsync(0, "systemctl restart nginx");
            await exec.ExitStatusAsync(0, 0);
            await exec.CompleteAsync();

            await RecordingFixture.WriteShortSessionAsync(store, "pg-session");
        }

        _config = Path.Combine(_fixture.Root, "hoopproxy.json");
        await File.WriteAllTextAsync(_config, $$"""
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } },
              "Recording": { "Directory": "{{_fixture.Options.Directory}}", "SigningKeyFile": "{{_fixture.KeyFile}}" }
            }
            """);
    }

    [OneTimeTearDown]
    public void DeleteSessions() => _fixture.Dispose();

    [Test]
    public async Task Replay_writes_the_terminal_to_stdout_and_the_header_and_exit_status_to_stderr()
    {
        var replay = await HoopproxyAsync("sessions", "replay", SessionId, "--max-idle", "0.01", "--speed", "3");

        Assert.That(replay.ExitCode, Is.Zero, replay.Combined);
        Assert.That(replay.StandardOutput, Is.EqualTo("$ sudo systemctl restart nginx\r\nnginx: prêt\r\n"));
        var errors = replay.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(errors[0], Does.StartWith($"session {SessionId}: alice → web as deploy, started 2026-11-26 10:00:00 UTC; channel 0: shell (xterm-256color 100x30)"));
        Assert.That(errors[^1], Is.EqualTo("channel 0: exit status 0"));
    }

    [Test]
    public async Task Replay_refuses_a_postgres_session_and_a_time_it_cannot_read()
    {
        var postgres = await HoopproxyAsync("sessions", "replay", "pg-session");
        Assert.That(postgres.ExitCode, Is.EqualTo(1), postgres.Combined);
        Assert.That(postgres.StandardError, Does.Contain("session pg-session is a postgres session; replay plays SSH terminal sessions — use show"));

        var badTime = await HoopproxyAsync("sessions", "replay", SessionId, "--from", "soon");
        Assert.That(badTime.ExitCode, Is.EqualTo(2), badTime.Combined);
        Assert.That(badTime.Combined, Does.Contain("--from takes seconds (12.5), mm:ss or hh:mm:ss, not 'soon'"));

        var badSpeed = await HoopproxyAsync("sessions", "replay", SessionId, "--speed", "0");
        Assert.That(badSpeed.ExitCode, Is.EqualTo(2), badSpeed.Combined);
    }

    [Test]
    public async Task Ctrl_c_stops_the_replay_with_where_it_was()
    {
        // At a hundredth of the speed, the 50 ms before the command's output is a 5 s pause: time to press Ctrl-C.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Hoopproxy, "sessions", "replay", SessionId, "--config", _config, "--speed", "0.01" })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var header = await process.StandardError.ReadLineAsync();
        Assert.That(header, Does.StartWith($"session {SessionId}"));
        // The prompt comes first, then the long pause: Ctrl-C once the prompt is there.
        var prompt = new char[2];
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await process.StandardOutput.ReadBlockAsync(prompt, wait.Token);
        }

        Assert.That(new string(prompt), Is.EqualTo("$ "));
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var rest = await process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(timeout.Token);

        Assert.That(process.ExitCode, Is.EqualTo(130), rest);
        Assert.That(stdout, Is.Empty, "nothing after the stop; no terminal reset on a pipe");
        Assert.That(rest, Does.Match(@"replay stopped at \+0\.\d{3}s"));
    }

    [Test]
    public async Task The_asciicast_export_is_read_by_asciinema()
    {
        var cast = Path.Combine(_fixture.Root, "session.cast");
        var export = await HoopproxyAsync("sessions", "export", SessionId, "--format", "asciicast", "-o", cast);
        Assert.That(export.ExitCode, Is.Zero, export.Combined);
        Assert.That(export.StandardOutput, Is.Empty, "the cast went to the file");

        var asciinema = await FindOnPathAsync("asciinema");
        if (asciinema is null)
        {
            Assert.Fail("asciinema is not installed: scripts/install-deps.sh installs it (apt-get install asciinema)");
        }

        // asciinema cat reads keys from /dev/tty, which a test run may not have: script(1) gives it a pseudo-terminal.
        var played = await ExternalProcess.RunAsync("script", ["-qec", $"{asciinema} cat '{cast}'", "/dev/null"],
            new Dictionary<string, string> { ["HOME"] = _fixture.Root }, standardInput: "");
        Assert.That(played.ExitCode, Is.Zero, played.Combined);
        Assert.That(played.StandardOutput, Does.Contain("sudo systemctl restart nginx").And.Contain("nginx: prêt"));
    }

    [Test]
    public async Task Export_options_for_asciicast_only_are_refused_with_other_formats()
    {
        var export = await HoopproxyAsync("sessions", "export", SessionId, "--format", "json", "--channel", "0");

        Assert.That(export.ExitCode, Is.EqualTo(2), export.Combined);
        Assert.That(export.Combined, Does.Contain("--channel and --input apply to --format asciicast only"));

        var unverified = await HoopproxyAsync("sessions", "export", SessionId, "--format", "text", "--unverified");
        Assert.That(unverified.ExitCode, Is.EqualTo(2), unverified.Combined);
        Assert.That(unverified.Combined, Does.Contain("--unverified applies to --format asciicast and pcap only"));
    }

    [Test]
    public async Task Show_json_lists_the_channels_and_counts_the_data_and_list_finds_an_exec_command_line()
    {
        var show = await HoopproxyAsync("sessions", "show", SessionId, "--json");
        Assert.That(show.ExitCode, Is.Zero, show.Combined);
        Assert.That(show.StandardError, Is.Empty, "a session that verifies has no warning");
        using var json = JsonDocument.Parse(show.StandardOutput);
        var channel = json.RootElement.GetProperty("channels")[0];
        Assert.That(channel.GetProperty("command").GetString(), Is.EqualTo("shell"));
        Assert.That(channel.GetProperty("cols").GetInt32(), Is.EqualTo(100));
        Assert.That(channel.GetProperty("exit_status").GetInt32(), Is.Zero);
        var data = json.RootElement.GetProperty("timeline").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "data").ToList();
        Assert.That(data.Select(d => (d.GetProperty("from").GetString(), d.GetProperty("stream").GetString(), d.GetProperty("bytes").GetInt64())), Is.EqualTo(new[]
        {
            ("server", "data", 2L),
            ("client", "data", (long)"sudo systemctl restart nginx\r".Length),
            ("server", "data", (long)"sudo systemctl restart nginx\r\n".Length),
            ("server", "stderr", (long)Encoding.UTF8.GetByteCount("nginx: prêt\r\n")),
        }));

        var list = await HoopproxyAsync("sessions", "list", "--json", "--contains", "restart nginx");
        Assert.That(list.ExitCode, Is.Zero, list.Combined);
        using var found = JsonDocument.Parse(list.StandardOutput);
        // The exec's command line, not the same words typed into the shell of the other session.
        Assert.That(found.RootElement.EnumerateArray().Select(r => r.GetProperty("Id").GetString()), Is.EqualTo(new[] { "ssh-exec" }));
    }

    [Test]
    public async Task A_tampered_session_is_refused_by_replay_and_the_asciicast_export_and_flagged_by_show()
    {
        using var fixture = new RecordingFixture();
        await using (var store = await fixture.OpenAsync())
        {
            await using var ssh = await SshRecordingWriter.StartAsync(store, "altered");
            await ssh.OpenAsync(0);
            await ssh.ExecAsync(0, "whoami");
            await ssh.OutputAsync(0, "deploy\n");
            await ssh.CompleteAsync();
        }

        var path = fixture.SessionPath("altered");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.AsSpan().IndexOf("deploy\n"u8)] = (byte)'D';
        await File.WriteAllBytesAsync(path, bytes);
        var config = Path.Combine(fixture.Root, "hoopproxy.json");
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(_config)).Replace(_fixture.Root, fixture.Root, StringComparison.Ordinal));

        var replay = await ExternalProcess.RunAsync("dotnet", [Hoopproxy, "sessions", "replay", "altered", "--config", config]);
        Assert.That(replay.ExitCode, Is.EqualTo(1), replay.Combined);
        Assert.That(replay.StandardOutput, Is.Empty);
        Assert.That(replay.StandardError, Does.Contain("session altered fails verification").And.Contain("refused").And.Contain("--unverified"));

        var cast = Path.Combine(fixture.Root, "altered.cast");
        var export = await ExternalProcess.RunAsync("dotnet", [Hoopproxy, "sessions", "export", "altered", "--format", "asciicast", "-o", cast, "--config", config]);
        Assert.That(export.ExitCode, Is.EqualTo(1), export.Combined);
        Assert.That(File.Exists(cast), Is.False, "no cast of an altered session");

        var unverified = await ExternalProcess.RunAsync("dotnet", [Hoopproxy, "sessions", "replay", "altered", "--unverified", "--config", config]);
        Assert.That(unverified.ExitCode, Is.Zero, unverified.Combined);
        Assert.That(unverified.StandardOutput, Is.EqualTo("Deploy\n"));
        Assert.That(unverified.StandardError, Does.StartWith("warning: session altered fails verification"));

        var show = await ExternalProcess.RunAsync("dotnet", [Hoopproxy, "sessions", "show", "altered", "--config", config]);
        Assert.That(show.ExitCode, Is.Zero, show.Combined);
        Assert.That(show.StandardOutput, Does.Contain("channel 0: exec whoami"));
        Assert.That(show.StandardError, Does.StartWith("warning: session altered fails verification").And.Contain("HashMismatch"));
    }

    private Task<ExternalProcess.Result> HoopproxyAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("dotnet", [Hoopproxy, .. arguments, "--config", _config], timeout: TimeSpan.FromMinutes(1));

    private static async Task<string?> FindOnPathAsync(string command)
    {
        var which = await ExternalProcess.RunAsync("sh", ["-c", $"command -v {command}"]);
        return which.ExitCode == 0 ? which.StandardOutput.Trim() : null;
    }
}
