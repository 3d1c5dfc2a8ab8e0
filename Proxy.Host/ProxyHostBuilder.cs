using HoopProxy.Core.Approvals;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Admin;
using HoopProxy.Host.Configuration;
using HoopProxy.Postgres.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Host;

/// <summary>Builds the generic host around a loaded configuration.</summary>
public static class ProxyHostBuilder
{
    /// <param name="recordings">The opened recording store when <see cref="ProxyConfiguration.Recording"/> is set; the caller owns it.</param>
    /// <param name="configPath">The file the configuration came from: its policies are reloaded when it changes.</param>
    /// <param name="audit">The opened audit log when <see cref="ProxyConfiguration.Audit"/> is set; the caller owns it.</param>
    /// <param name="identity">Token logins, the revocation list and the watch on live sessions; the caller owns it. None when null.</param>
    public static IHost Build(ProxyConfiguration configuration, RecordingStore? recordings = null, string? configPath = null, Core.Audit.AuditLog? audit = null,
        Core.Identity.IdentityServices? identity = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(configuration.LogLevel);
        // Kestrel and routing log every request at Information; the admin API's own audit lines are what an operator needs.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddSingleton(configuration);
        builder.Services.Configure<HostOptions>(o =>
            o.ShutdownTimeout = (configuration.Postgres?.Limits.ShutdownTimeout ?? TimeSpan.FromSeconds(10)) + TimeSpan.FromSeconds(10));
        // With a file to watch, a file that starts without policies can gain them: sessions then consult an empty rule set.
        var policies = configuration.Policies is not null || configPath is not null ? new PolicySource(configuration.Policies ?? StatementPolicy.Empty) : null;
        if (policies is not null && configPath is not null)
        {
            builder.Services.AddHostedService(sp => new PolicyReloader(configPath, policies, sp.GetRequiredService<ILoggerFactory>().CreateLogger("HoopProxy.Policy")));
        }

        // Registered before the listener, so it starts first and stops last: while sessions drain at shutdown, statements
        // they hold for approval can still be decided.
        ApprovalBroker? approvals = null;
        if (configuration.Admin is { } admin)
        {
            // The broker checks approvers against the revocation list whenever their approvals are relied on.
            approvals = new ApprovalBroker { Revocations = identity?.Revocations ?? Core.Identity.Revocation.RevocationList.None };
            builder.Services.AddSingleton(approvals);
            builder.Services.AddSingleton(sp => new AdminApiServer(admin, approvals, sp.GetRequiredService<ILoggerFactory>(), identity));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<AdminApiServer>());
        }

        if (configuration.Postgres is { } postgres)
        {
            builder.Services.AddSingleton(sp => new PostgresProxyService(postgres, configuration.Users, sp.GetRequiredService<ILoggerFactory>(), recordings, policies, approvals, configuration.Masking, audit, identity));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgresProxyService>());
        }

        if (configuration.Ssh is { } ssh)
        {
            builder.Services.AddSingleton(sp => new SshProxyService(ssh, configuration.Users, sp.GetRequiredService<ILoggerFactory>(), recordings, configuration.SshPolicies, approvals, audit, identity));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<SshProxyService>());
        }

        return builder.Build();
    }
}
