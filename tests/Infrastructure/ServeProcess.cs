using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>The real <c>hoopproxy serve --config FILE</c> executable, its output kept for assertions.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();

    private ServeProcess(Process process)
    {
        Process = process;
    }

    public static string HoopproxyDll => Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");

    public Process Process { get; }

    public int Id => Process.Id;

    /// <summary>Everything the process wrote so far (standard output and error, as lines).</summary>
    public string Output => string.Join('\n', _lines);

    public static ServeProcess Start(string configPath)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { HoopproxyDll, "serve", "--config", configPath })
        {
            info.ArgumentList.Add(argument);
        }

        var serve = new ServeProcess(Process.Start(info)!);
        serve.Process.OutputDataReceived += (_, e) => serve.Keep(e.Data);
        serve.Process.ErrorDataReceived += (_, e) => serve.Keep(e.Data);
        serve.Process.BeginOutputReadLine();
        serve.Process.BeginErrorReadLine();
        return serve;
    }

    /// <summary>SIGTERM: the host drains and exits; killed if it has not after <paramref name="grace"/>.</summary>
    public async Task<bool> TerminateAsync(TimeSpan grace)
    {
        Process.Start("kill", ["-TERM", Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            return false;
        }
    }

    public void Kill() => Process.Kill();

    public bool WaitForExit(int milliseconds) => Process.WaitForExit(milliseconds);

    public bool HasExited => Process.HasExited;

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}
