using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// OpenSSH's <c>ssh -tt</c> in a real terminal (a tmux pane) through the proxy: pty-req, shell, typed commands and
/// their output, window-change when the terminal is resized, and the shell's exit status at the end.
/// </summary>
[TestFixture]
public sealed class SshInteractiveShellTests : SshProxyFixture
{
    private Task<Tmux> StartShellAsync() => Tmux.StartAsync(Proxy.SshArguments(["-tt"]), columns: 100, rows: 30);

    [Test]
    public async Task A_typed_command_runs_and_its_output_appears_on_the_terminal()
    {
        await using var tmux = await StartShellAsync();
        // The output (42-typed) is not in the typed line ($((6*7))-typed): only the shell on the target makes it.
        await tmux.TypeLineAsync("echo $((6*7))-typed; id -un");
        var (seen, screen) = await tmux.WaitForScreenAsync(s => s.Contains("42-typed", StringComparison.Ordinal)
            && s.Contains(LocalSshd.UserName + "\n", StringComparison.Ordinal));
        Assert.That(seen, Is.True, screen);
        await tmux.TypeLineAsync("exit");
        Assert.That(await tmux.WaitForExitStatusAsync(), Is.Zero, await tmux.CaptureAsync());
    }

    [Test]
    public async Task The_terminal_size_reaches_the_target_and_follows_a_resize()
    {
        await using var tmux = await StartShellAsync();
        await tmux.TypeLineAsync("echo size-$(stty size | tr ' ' x)-end");
        var (seen, screen) = await tmux.WaitForScreenAsync(s => s.Contains("size-30x100-end", StringComparison.Ordinal));
        Assert.That(seen, Is.True, "the pty-req size: " + screen);

        await tmux.ResizeAsync(columns: 120, rows: 40);
        // The resize reaches the remote pty asynchronously (SIGWINCH, window-change through the proxy).
        (var resized, screen) = await tmux.WaitForShellSizeAsync(rows: 40, columns: 120);
        Assert.That(resized, Is.True, "the window-change size: " + screen);
        await tmux.TypeLineAsync("exit");
        Assert.That(await tmux.WaitForExitStatusAsync(), Is.Zero, await tmux.CaptureAsync());
    }

    [Test]
    public async Task Exit_ends_the_session_with_the_shells_status()
    {
        await using var tmux = await StartShellAsync();
        await tmux.TypeLineAsync("echo ready-$((1+1))");
        var (seen, screen) = await tmux.WaitForScreenAsync(s => s.Contains("ready-2", StringComparison.Ordinal));
        Assert.That(seen, Is.True, screen);
        await tmux.TypeLineAsync("exit 5");
        Assert.That(await tmux.WaitForExitStatusAsync(), Is.EqualTo(5), await tmux.CaptureAsync());
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Proxy.ActiveSessions == 0), TimeSpan.FromSeconds(10)), Is.True,
            "the proxy ended the session");
    }
}
