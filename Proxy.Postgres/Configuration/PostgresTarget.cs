using HoopProxy.Core.Configuration;
using HoopProxy.Postgres.Policy;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Postgres.Configuration;

/// <summary>libpq's sslmode values that make sense for a proxy's upstream connection.</summary>
public enum SslMode
{
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// <summary>A PostgreSQL server behind the proxy and the credentials the proxy (never the client) logs in with.</summary>
public sealed record PostgresTarget
{
    public required string Name { get; init; }
    public required string Host { get; init; }
    public int Port { get; init; } = 5432;
    public required string Database { get; init; }
    public required string Username { get; init; }
    public string? Password { get; init; }
    public SslMode SslMode { get; init; } = SslMode.Prefer;

    /// <summary>PEM file of the CA that signs the target's certificate (verify-ca / verify-full); the system store when absent.</summary>
    public string? RootCertificateFile { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>What happens to a statement no policy rule matches: Allow (the default) or Block (an allow-list target).</summary>
    public PolicyAction DefaultAction { get; init; } = PolicyAction.Allow;

    /// <summary>Hides the password when a target is logged or shown in a debugger.</summary>
    public override string ToString() => $"{Name} ({Username}@{Host}:{Port}/{Database}, sslmode={SslMode})";

    public static PostgresTarget FromConfiguration(IConfigurationSection section, string baseDirectory)
    {
        var root = section.OptionalString("RootCertificateFile");
        var defaultAction = section.Enum("DefaultAction", PolicyAction.Allow);
        if (defaultAction == PolicyAction.Review)
        {
            // A review needs approvers, which only a rule names.
            throw new ConfigurationException(ConfigReader.Path(section, "DefaultAction"), "must be Allow or Block; use a Review rule to hold statements for approval");
        }

        return new PostgresTarget
        {
            Name = section.Key,
            Host = section.RequiredString("Host"),
            Port = section.Int("Port", 5432, 1, 65535),
            Database = section.RequiredString("Database"),
            Username = section.RequiredString("Username"),
            Password = section.OptionalString("Password"),
            SslMode = section.Enum("SslMode", SslMode.Prefer),
            RootCertificateFile = root is null ? null : TlsOptions.Resolve(baseDirectory, root),
            ConnectTimeout = section.Duration("ConnectTimeout", TimeSpan.FromSeconds(10)),
            DefaultAction = defaultAction,
        };
    }
}
