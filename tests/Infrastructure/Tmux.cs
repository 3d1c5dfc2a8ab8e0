using System.Globalization;
using System.Text.RegularExpressions;
using HoopProxy.Host.Demo;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// A command running in a pane of a detached tmux session on a private server (its own socket in a temporary folder,
/// no user configuration): a real terminal for interactive clients such as <c>ssh -tt</c>. Keys are typed with
/// <see cref="SendKeysAsync"/>, the screen is read with <see cref="CaptureAsync"/>, and <see cref="WaitForScreenAsync"/>
/// polls the screen with a deadline. The command's exit status is written to a file when it ends
/// (<see cref="WaitForExitStatusAsync"/>).
/// </summary>
public sealed class Tmux : IAsyncDisposable
{
    private const string SessionName = "hooptest";

    private readonly string _directory;

    private Tmux(string directory) => _directory = directory;

    private string Socket => Path.Combine(_directory, "sock");

    private string StatusFile => Path.Combine(_directory, "status");

    /// <summary>Starts <paramref name="arguments"/> (a program and its arguments) in a new <paramref name="columns"/>×<paramref name="rows"/> window.</summary>
    public static async Task<Tmux> StartAsync(IReadOnlyList<string> arguments, int columns = 100, int rows = 30)
    {
        var directory = Directory.CreateTempSubdirectory("hoopproxy-tmux-").FullName;
        var tmux = new Tmux(directory);
        // The pane runs a shell that runs the command and then writes its exit status (tmux itself does not keep it once the pane is gone).
        var command = $"{ShellQuoting.Join(arguments)}; echo $? > {ShellQuoting.Quote(tmux.StatusFile)}";
        await tmux.RunCheckedAsync("new-session", "-d", "-s", SessionName, "-x", columns.ToString(CultureInfo.InvariantCulture),
            "-y", rows.ToString(CultureInfo.InvariantCulture), command);
        return tmux;
    }

    /// <summary>tmux send-keys: each argument is a key name (Enter, C-c) or literal text.</summary>
    public Task SendKeysAsync(params string[] keys) => RunCheckedAsync(["send-keys", "-t", SessionName, .. keys]);

    /// <summary>Types <paramref name="text"/> literally and presses Enter.</summary>
    public async Task TypeLineAsync(string text)
    {
        await RunCheckedAsync("send-keys", "-t", SessionName, "-l", text);
        await SendKeysAsync("Enter");
    }

    /// <summary>The visible screen of the pane, one line per row.</summary>
    public async Task<string> CaptureAsync()
    {
        var result = await RunAsync("capture-pane", "-p", "-t", SessionName);
        return result.ExitCode == 0 ? result.StandardOutput : "";
    }

    public Task ResizeAsync(int columns, int rows) =>
        RunCheckedAsync("resize-window", "-t", SessionName, "-x", columns.ToString(CultureInfo.InvariantCulture), "-y", rows.ToString(CultureInfo.InvariantCulture));

    /// <summary>Polls the screen until <paramref name="condition"/> holds; returns the last screen seen either way.</summary>
    public async Task<(bool Seen, string Screen)> WaitForScreenAsync(Func<string, bool> condition, TimeSpan? timeout = null)
    {
        var screen = "";
        var seen = await Poll.UntilAsync(async () =>
        {
            screen = await CaptureAsync();
            return condition(screen);
        }, timeout ?? TimeSpan.FromSeconds(20));
        return (seen, screen);
    }

    /// <summary>
    /// For a shell in the pane: types <c>stty size</c> (tagged) again and again until the shell's terminal reports
    /// <paramref name="rows"/>×<paramref name="columns"/> — a resize reaches a remote pty asynchronously. Returns
    /// whether it did and the last screen.
    /// </summary>
    public async Task<(bool Seen, string Screen)> WaitForShellSizeAsync(int rows, int columns, TimeSpan? timeout = null)
    {
        var screen = "";
        var attempt = 0;
        var seen = await Poll.UntilAsync(async () =>
        {
            attempt++;
            var tag = $"size{attempt.ToString(CultureInfo.InvariantCulture)}";
            await TypeLineAsync($"echo {tag}-$(stty size | tr ' ' x)-end");
            // Matches the output only: the typed line has "$(stty" where the output has the numbers.
            var output = new Regex(tag + @"-\d+x\d+-end");
            (_, screen) = await WaitForScreenAsync(output.IsMatch, TimeSpan.FromSeconds(5));
            return screen.Contains(FormattableString.Invariant($"{tag}-{rows}x{columns}-end"), StringComparison.Ordinal);
        }, timeout ?? TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        return (seen, screen);
    }

    /// <summary>The command's exit status once it has ended, or null if it is still running at the deadline.</summary>
    public async Task<int?> WaitForExitStatusAsync(TimeSpan? timeout = null)
    {
        int? status = null;
        await Poll.UntilAsync(async () =>
        {
            if (!File.Exists(StatusFile))
            {
                return false;
            }

            var text = (await File.ReadAllTextAsync(StatusFile)).Trim();
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                status = value;
                return true;
            }

            return false;
        }, timeout ?? TimeSpan.FromSeconds(20));
        return status;
    }

    private Task<ExternalProcess.Result> RunAsync(params string[] arguments) =>
        // -f /dev/null: no user or system configuration; TERM for the tmux client (the test runner may have none).
        ExternalProcess.RunAsync("tmux", ["-f", "/dev/null", "-S", Socket, .. arguments], new Dictionary<string, string> { ["TERM"] = "xterm-256color" },
            timeout: TimeSpan.FromSeconds(20));

    private async Task RunCheckedAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"tmux {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Combined.Trim()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("kill-server");
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing a test for.
        }
    }
}
