using HoopProxy.Core.Configuration;
using HoopProxy.Postgres.Policy;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Host.Configuration;

/// <summary>
/// Watches the configuration file and swaps in its <c>Policies</c> when it changes. The whole file is validated as
/// at startup; a file with any mistake is rejected with the reason logged, and the rules in force stay. Only the
/// policies are reloaded: listeners, targets and users need a restart.
/// </summary>
internal sealed partial class PolicyReloader(string configPath, PolicySource policies, ILogger logger) : IHostedService, IDisposable
{
    /// <summary>Editors write a file in several steps (truncate, write, rename); wait for the burst to end.</summary>
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(250);

    private FileSystemWatcher? _watcher;
    private Timer? _settle;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
        _settle = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(directory, Path.GetFileName(configPath))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => _settle.Change(SettleTime, Timeout.InfiniteTimeSpan);
        _watcher.Created += (_, _) => _settle.Change(SettleTime, Timeout.InfiniteTimeSpan);
        _watcher.Renamed += (_, _) => _settle.Change(SettleTime, Timeout.InfiniteTimeSpan);
        _watcher.EnableRaisingEvents = true;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_watcher is not null)
        {
            _watcher.EnableRaisingEvents = false;
        }

        return Task.CompletedTask;
    }

    private void Reload()
    {
        try
        {
            var configuration = ProxyConfiguration.Load(configPath);
            var rules = configuration.Policies ?? StatementPolicy.Empty;
            policies.Replace(rules);
            LogReloaded(logger, rules.Rules.Count, configPath, policies.Version);
        }
        catch (ConfigurationException e)
        {
            LogRejected(logger, configPath, e.Message);
        }
        catch (IOException e)
        {
            // The file is being replaced; the rename that completes it triggers another reload.
            LogRejected(logger, configPath, e.Message);
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _settle?.Dispose();
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "policies reloaded from {Path}: {Count} rules in force (version {Version})")]
    private static partial void LogReloaded(ILogger logger, int count, string path, int version);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "policies in {Path} rejected, the previous rules stay in force: {Reason}")]
    private static partial void LogRejected(ILogger logger, string path, string reason);
}
