using System.Collections.Frozen;
using System.Net;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Networking;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Ssh.Configuration;

/// <summary>
/// The <c>Ssh</c> section: the listener, the proxy's own host key (generated as ed25519 on first start when the file
/// does not exist), the targets and which one a login without a target name reaches.
/// </summary>
public sealed record SshProxyOptions
{
    private static readonly string[] Keys = ["Listen", "HostKeyFile", "DefaultTarget", "Targets", "Limits"];

    public required IPEndPoint Listen { get; init; }

    /// <summary>Absolute path of the proxy's host key (OpenSSH private key format).</summary>
    public required string HostKeyFile { get; init; }

    public string? DefaultTarget { get; init; }

    public required FrozenDictionary<string, SshTarget> Targets { get; init; }

    /// <summary>Failed authentication attempts before the connection is closed (OpenSSH's MaxAuthTries is 6).</summary>
    public int MaxAuthAttempts { get; init; } = 6;

    /// <summary>Time from connect to a successful login (OpenSSH's LoginGraceTime is 120 s).</summary>
    public TimeSpan LoginTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The listener's limits (<c>Limits:MaxConnections</c>; the rest as for every listener).</summary>
    public ListenerLimits Listener { get; init; } = new();

    public static SshProxyOptions FromConfiguration(IConfigurationSection section, string baseDirectory)
    {
        section.RejectUnknownKeys(Keys);
        var targets = section.GetSection("Targets").GetChildren()
            .Select(t => SshTarget.FromConfiguration(t, baseDirectory))
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
        limits.RejectUnknownKeys(["MaxAuthAttempts", "LoginTimeout", "MaxConnections"]);
        return new SshProxyOptions
        {
            Listen = section.EndPoint("Listen"),
            HostKeyFile = Path.GetFullPath(Path.Combine(baseDirectory, section.RequiredString("HostKeyFile"))),
            DefaultTarget = defaultTarget,
            Targets = targets,
            MaxAuthAttempts = limits.Int("MaxAuthAttempts", 6, 1, 100),
            LoginTimeout = limits.Duration("LoginTimeout", TimeSpan.FromSeconds(60)),
            Listener = new ListenerLimits { MaxConnections = limits.Int("MaxConnections", 1000, 1, 100_000) },
        };
    }
}
