using System.Diagnostics;
using System.Text;
using NUnit.Framework;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// An OpenSSH ssh that keeps running (a long command), whose output is watched while it runs and whose exit is timed; the
/// first 64 KiB of each stream are kept. Disposing it kills ssh if it still runs.
/// </summary>
public sealed class LiveSsh : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly Lock _gate = new();

    private const int OutputKept = 64 * 1024;

    private LiveSsh(Process process) => _process = process;

    public static LiveSsh Start(IReadOnlyList<string> arguments, IDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("ssh")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var live = new LiveSsh(process);
        process.OutputDataReceived += (_, e) => live.Append(live._output, e.Data);
        process.ErrorDataReceived += (_, e) => live.Append(live._error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return live;
    }

    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _error.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    private void Append(StringBuilder into, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            // The start of each stream is what the tests read; a session that streams for seconds must not fill memory.
            if (into.Length < OutputKept)
            {
                into.AppendLine(line);
            }
        }
    }

    public async Task WaitForOutputAsync(string line)
    {
        var seen = await Poll.UntilAsync(() => Task.FromResult(StandardOutput.Contains(line, StringComparison.Ordinal) || _process.HasExited),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10));
        Assert.That(seen && !_process.HasExited, Is.True, $"ssh did not print '{line}' and keep running: {StandardError}");
    }

    /// <summary>True once ssh has exited and its output has been read to the end.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
