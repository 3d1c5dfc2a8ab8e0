using System.Collections.Frozen;
using System.Net;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Networking;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Postgres.Configuration;

/// <summary>How the proxy asks clients for their proxy password.</summary>
public enum ClientAuthenticationMethod
{
    /// <summary>SCRAM-SHA-256 on every connection: the password never crosses the wire.</summary>
    ScramSha256,

    /// <summary>Cleartext password, used only inside TLS; plaintext connections still get SCRAM.</summary>
    Cleartext,
}

/// <summary>The <c>Postgres</c> section: one listener and its targets.</summary>
public sealed record PostgresProxyOptions
{
    public required IPEndPoint Listen { get; init; }
    public string? DefaultTarget { get; init; }
    public TlsOptions? Tls { get; init; }
    public ClientAuthenticationMethod ClientAuthentication { get; init; } = ClientAuthenticationMethod.ScramSha256;
    public required FrozenDictionary<string, PostgresTarget> Targets { get; init; }
    public ListenerLimits Limits { get; init; } = new();

    public static PostgresProxyOptions FromConfiguration(IConfigurationSection section, string baseDirectory)
    {
        var targets = section.GetSection("Targets").GetChildren()
            .Select(t => PostgresTarget.FromConfiguration(t, baseDirectory))
            .ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);
        if (targets.Count == 0)
        {
            throw new ConfigurationException(ConfigReader.Path(section, "Targets"), "at least one target is required");
        }

        var defaultTarget = section.OptionalString("DefaultTarget");
        if (defaultTarget is not null && !targets.ContainsKey(defaultTarget))
        {
            throw new ConfigurationException(ConfigReader.Path(section, "DefaultTarget"), $"'{defaultTarget}' is not one of the Targets");
        }

        var limits = section.GetSection("Limits");
        return new PostgresProxyOptions
        {
            Listen = section.EndPoint("Listen"),
            DefaultTarget = defaultTarget,
            Tls = TlsOptions.FromConfiguration(section.GetSection("Tls"), baseDirectory),
            ClientAuthentication = section.Enum("ClientAuthentication", ClientAuthenticationMethod.ScramSha256),
            Targets = targets,
            Limits = new ListenerLimits
            {
                MaxConnections = limits.Int("MaxConnections", 1000, 1, 1_000_000),
                StartupTimeout = limits.Duration("StartupTimeout", TimeSpan.FromSeconds(30)),
                ShutdownTimeout = limits.Duration("ShutdownTimeout", TimeSpan.FromSeconds(10)),
                // PostgreSQL itself refuses messages over 1 GiB - 1 (PQ_LARGE_MESSAGE_LIMIT).
                MaxMessageBytes = limits.Int("MaxMessageBytes", 0x3fffffff, 1024, 0x3fffffff),
                Pipes = PipeSettingsFromConfiguration(section.GetSection("Pipes")),
            },
        };
    }

    /// <summary>The <c>Postgres:Pipes</c> section: buffering per direction of each connection.</summary>
    private static PipeSettings PipeSettingsFromConfiguration(IConfigurationSection section)
    {
        var defaults = PipeSettings.Default;
        var pause = section.Int("PauseThresholdBytes", (int)defaults.PauseThreshold, 64 * 1024, 256 * 1024 * 1024);
        var resume = section.Int("ResumeThresholdBytes", Math.Min((int)defaults.ResumeThreshold, pause / 2), 1, pause);
        return defaults with
        {
            PauseThreshold = pause,
            ResumeThreshold = resume,
            MinimumReceiveBuffer = section.Int("MinimumReceiveBufferBytes", defaults.MinimumReceiveBuffer, 512, 1024 * 1024),
            WaitForDataBeforeAllocating = section.Bool("WaitForDataBeforeAllocating", defaults.WaitForDataBeforeAllocating),
        };
    }
}
