using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Admin;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Masking.Rules;
using HoopProxy.Postgres.Policy;
using HoopProxy.Ssh.Authentication;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Policy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Host.Configuration;

/// <summary>The whole validated configuration, as immutable records. Loading fails with a message naming the bad key.</summary>
public sealed record ProxyConfiguration(PostgresProxyOptions? Postgres, UserDirectory Users)
{
    /// <summary>The <c>Ssh</c> section: the SSH listener and its targets; null when there is none.</summary>
    public SshProxyOptions? Ssh { get; init; }

    /// <summary>The <c>SshPolicies</c> list: forwarding channels users may open on the SSH listener (none without it).</summary>
    public ChannelPolicy SshPolicies { get; init; } = ChannelPolicy.Empty;

    /// <summary>The <c>Recording</c> section; null when sessions are not recorded.</summary>
    public RecordingOptions? Recording { get; init; }

    /// <summary>The <c>Audit</c> section (docs/audit-trail.md); null when no audit trail is kept.</summary>
    public Core.Audit.AuditOptions? Audit { get; init; }

    /// <summary>The <c>Identity</c> section (docs/identity.md): OIDC tokens and the revocation list; null when absent.</summary>
    public IdentityOptions? Identity { get; init; }

    /// <summary>
    /// The <c>Policies</c> list; null when there is none and no target blocks by default, so no statement is judged.
    /// </summary>
    public StatementPolicy? Policies { get; init; }

    /// <summary>
    /// The <c>Admin</c> section; null when absent. With it the proxy runs the admin API and an approval broker, so Review
    /// rules hold statements for a decision; without it Review statements are refused.
    /// </summary>
    public AdminOptions? Admin { get; init; }

    /// <summary>The <c>Masking</c> list (with custom detectors from <c>MaskingDetectors</c>); null when nothing is masked.</summary>
    public MaskingPolicy? Masking { get; init; }

    /// <summary><c>Logging:LogLevel:Default</c>; Information unless set.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public static ProxyConfiguration Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new ConfigurationException($"configuration file '{fullPath}' does not exist");
        }

        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(fullPath, optional: false, reloadOnChange: false)
                .AddEnvironmentVariables("HOOPPROXY_")
                .Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            throw new ConfigurationException($"configuration file '{fullPath}' is not valid JSON: {e.Message}", e);
        }

        return FromConfiguration(configuration, Path.GetDirectoryName(fullPath)!);
    }

    /// <param name="baseDirectory">Relative file names (certificates) are resolved against it: the config file's folder.</param>
    public static ProxyConfiguration FromConfiguration(IConfiguration configuration, string baseDirectory)
    {
        var postgresSection = configuration.GetSection("Postgres");
        var postgres = postgresSection.Exists() ? PostgresProxyOptions.FromConfiguration(postgresSection, baseDirectory) : null;
        var sshSection = configuration.GetSection("Ssh");
        var ssh = sshSection.Exists() ? SshProxyOptions.FromConfiguration(sshSection, baseDirectory) : null;
        if (postgres is null && ssh is null)
        {
            throw new ConfigurationException("Postgres", "no listener is configured (a Postgres or Ssh section)");
        }

        var logging = configuration.GetSection("Logging:LogLevel");
        var policies = configuration.GetSection("Policies");
        var judged = policies.Exists() || postgres?.Targets.Values.Any(t => t.DefaultAction != PolicyAction.Allow) == true;
        var admin = configuration.GetSection("Admin");
        var users = UserDirectory.FromConfiguration(configuration.GetSection("Users"));
        var identity = IdentityOptions.FromConfiguration(configuration.GetSection("Identity"), baseDirectory);
        if (ssh is not null)
        {
            // Parsed now so that a bad AuthorizedKeys line stops the start, naming the user.
            AuthorizedKeyDirectory.From(users);
        }

        return new ProxyConfiguration(postgres, users)
        {
            Ssh = ssh,
            SshPolicies = ChannelPolicy.FromConfiguration(configuration.GetSection("SshPolicies")),
            LogLevel = logging.Enum("Default", LogLevel.Information),
            Recording = RecordingOptions.FromConfiguration(configuration.GetSection("Recording"), baseDirectory),
            Audit = Core.Audit.AuditOptions.FromConfiguration(configuration.GetSection("Audit"), baseDirectory),
            Identity = identity,
            Policies = judged ? PolicyConfiguration.FromConfiguration(policies) : null,
            Admin = admin.Exists() ? AdminOptions.FromConfiguration(admin, oidcConfigured: identity?.Oidc is not null) : null,
            Masking = configuration.GetSection("Masking").Exists() || configuration.GetSection("MaskingDetectors").Exists()
                ? MaskingConfiguration.FromConfiguration(configuration.GetSection("Masking"), configuration.GetSection("MaskingDetectors"), baseDirectory)
                : null,
        };
    }
}
