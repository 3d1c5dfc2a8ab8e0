using HoopProxy.Core.Identity;
using System.CommandLine;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Recording;
using HoopProxy.Host;
using HoopProxy.Host.Configuration;
using HoopProxy.Host.Demo;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Run socket completions on the epoll thread instead of queueing each to the thread pool: for a proxy
// whose continuations only move bytes between pipes (never block), this halves CPU per request
// (measured: benchmarks/README.md). Must be set before the first socket is created.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

var root = new RootCommand("HoopProxy: an auditing gateway for PostgreSQL");

var configOption = new Option<FileInfo>("--config", "-c") { Description = "The JSON configuration file", Required = true };
var serve = new Command("serve", "Run the proxy with a configuration file") { configOption };
serve.SetAction(async (parse, cancellationToken) =>
{
    ProxyConfiguration configuration;
    try
    {
        configuration = ProxyConfiguration.Load(parse.GetRequiredValue(configOption).FullName);
    }
    catch (ConfigurationException e)
    {
        await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
        return 2;
    }

    // Opened before the listener starts (it seals sessions a crash left open) and closed after it stops
    // (it seals the sessions still open), so no session runs unrecorded.
    using var recordingLogs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(configuration.LogLevel));
    await using var recordings = configuration.Recording is { } recording
        ? await RecordingStore.OpenAsync(recording, recordingLogs.CreateLogger("HoopProxy.Recording"))
        : null;
    // The audit log likewise outlives the listeners: the last sessions' disconnects and its own stop are in it.
    await using var audit = configuration.Audit is { } auditOptions
        ? await AuditLog.OpenAsync(auditOptions, recordingLogs.CreateLogger("HoopProxy.Audit"))
        : null;
    // Keys loaded and the revocation file followed before the first login; revocations of live sessions are audited.
    using var identity = await IdentityServices.StartAsync(configuration.Identity, recordingLogs, audit, cancellationToken);
    using var host = ProxyHostBuilder.Build(configuration, recordings, parse.GetRequiredValue(configOption).FullName, audit, identity);
    try
    {
        await host.RunAsync(cancellationToken);
    }
    catch (ConfigurationException e)
    {
        // Files named by the configuration (an SSH key) are read when their listener starts.
        await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
        return 2;
    }

    return 0;
});

var portOption = new Option<int>("--port") { Description = "Port for the proxy's PostgreSQL listener", DefaultValueFactory = _ => 15432 };
var demo = new Command("demo", "Start a throwaway PostgreSQL with a sample bank schema and the proxy in front of it") { portOption };
demo.SetAction((parse, cancellationToken) => DemoCommand.RunAsync(parse.GetValue(portOption), cancellationToken));

root.Add(serve);
root.Add(demo);
root.Add(HoopProxy.Host.Sessions.SessionsCommand.Create());
root.Add(HoopProxy.Host.Admin.ApprovalsCommand.Create());
root.Add(HoopProxy.Host.Audit.AuditCommand.Create());
var parsed = root.Parse(args);
// No termination timeout: the host's own console lifetime turns SIGTERM and Ctrl-C into a graceful stop that
// drains sessions for up to Limits:ShutdownTimeout; System.CommandLine's default would exit after two seconds.
var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
// System.CommandLine answers a usage error (unknown option, missing argument) with 1, which the verbs use for "refused"
// or "verification failed"; 2 puts usage errors with configuration errors, as each verb documents.
return parsed.Errors.Count > 0 ? 2 : exitCode;
