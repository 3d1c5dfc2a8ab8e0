using System.Text.RegularExpressions;
using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Ssh.Configuration;

/// <summary>
/// An SSH server behind the proxy and what the proxy (never the client) logs in with: the account, its private key file
/// or password, and the server's host key pinned by its SHA256 fingerprint (as <c>ssh-keygen -l</c> prints it). A
/// target without a pinned host key is refused: the proxy holds the credentials, so it must know whom it gives them to.
/// </summary>
public sealed partial record SshTarget
{
    private static readonly string[] Keys = ["Host", "Port", "Username", "PrivateKeyFile", "Password", "HostKey", "ConnectTimeout"];

    public required string Name { get; init; }
    public required string Host { get; init; }
    public int Port { get; init; } = 22;
    public required string Username { get; init; }

    /// <summary>Absolute path of the account's private key (OpenSSH format).</summary>
    public string? PrivateKeyFile { get; init; }

    public string? Password { get; init; }

    /// <summary><c>SHA256:</c> and 43 characters of unpadded base64.</summary>
    public required string HostKeyFingerprint { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Hides the password when a target is logged or shown in a debugger.</summary>
    public override string ToString() => $"{Name} ({Username}@{Host}:{Port}, host key {HostKeyFingerprint})";

    public static SshTarget FromConfiguration(IConfigurationSection section, string baseDirectory)
    {
        section.RejectUnknownKeys(Keys);
        var keyFile = section.OptionalString("PrivateKeyFile");
        var password = section.OptionalString("Password");
        if (keyFile is null && password is null)
        {
            throw new ConfigurationException(section.Path, "needs PrivateKeyFile or Password: the proxy logs in to the target with it");
        }

        var fingerprint = section.RequiredString("HostKey");
        if (!Fingerprint().IsMatch(fingerprint))
        {
            throw new ConfigurationException(ConfigReader.Path(section, "HostKey"),
                $"'{fingerprint}' is not a SHA256 fingerprint such as SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s (ssh-keygen -lf the host's public key, or ssh-keyscan | ssh-keygen -lf -)");
        }

        return new SshTarget
        {
            Name = section.Key,
            Host = section.RequiredString("Host"),
            Port = section.Int("Port", 22, 1, 65535),
            Username = section.RequiredString("Username"),
            PrivateKeyFile = keyFile is null ? null : Path.GetFullPath(Path.Combine(baseDirectory, keyFile)),
            Password = password,
            HostKeyFingerprint = fingerprint,
            ConnectTimeout = section.Duration("ConnectTimeout", TimeSpan.FromSeconds(10)),
        };
    }

    [GeneratedRegex("^SHA256:[A-Za-z0-9+/]{43}$", RegexOptions.CultureInvariant)]
    private static partial Regex Fingerprint();
}
