using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Host.Admin;

/// <summary>
/// The <c>Admin</c> section: where the admin API listens and who may decide approval requests with which token.
/// <code>
/// "Admin": {
///   "Listen": "127.0.0.1:9090",
///   "Approvers": {
///     "dora": { "Token": "a long random secret", "Groups": [ "dba" ] },
///     "erik": { "TokenSha256": "hex of SHA-256 of the token", "Groups": [ "dba", "security" ] }
///   }
/// }
/// </code>
/// </summary>
public sealed record AdminOptions(IPEndPoint Listen, IReadOnlyList<ApproverCredential> Approvers)
{
    /// <summary>Shorter tokens are refused: a bearer token is the whole credential, and the API has no rate limit.</summary>
    public const int MinimumTokenLength = 16;

    private static readonly string[] SectionKeys = ["Listen", "AllowRemote", "Approvers"];
    private static readonly string[] ApproverKeys = ["Token", "TokenSha256", "Groups"];

    /// <summary>Whether <see cref="Listen"/> may be a non-loopback address (the API has no TLS yet, so tokens would cross the network in clear).</summary>
    public bool AllowRemote { get; init; }

    /// <summary>Names the approvers instead of the generated record text (which would show only the list's type).</summary>
    public override string ToString() =>
        $"admin API on {Listen}{(AllowRemote ? " (remote allowed)" : "")}; approvers: {string.Join("; ", Approvers)}";

    /// <summary>Reads and validates the section; every error names its key.</summary>
    /// <param name="oidcConfigured">Whether <c>Identity:Oidc</c> is configured: approvers may then come from tokens alone.</param>
    public static AdminOptions FromConfiguration(IConfigurationSection section, bool oidcConfigured = false)
    {
        section.RejectUnknownKeys(SectionKeys);
        var listen = section.EndPoint("Listen");
        var allowRemote = section.Bool("AllowRemote", false);
        if (!allowRemote && !IPAddress.IsLoopback(listen.Address))
        {
            throw new ConfigurationException(ConfigReader.Path(section, "Listen"),
                $"'{section["Listen"]}' is not a loopback address; the admin API has no TLS yet, so it listens on 127.0.0.1 or [::1] unless \"AllowRemote\": true");
        }

        var approvers = new List<ApproverCredential>();
        foreach (var entry in section.GetSection("Approvers").GetChildren())
        {
            entry.RejectUnknownKeys(ApproverKeys);
            var credential = new ApproverCredential(entry.Key, ReadTokenDigest(entry), entry.StringList("Groups"));
            var twin = approvers.FirstOrDefault(a => CryptographicOperations.FixedTimeEquals(a.TokenSha256, credential.TokenSha256));
            if (twin is not null)
            {
                throw new ConfigurationException(entry.Path, $"has the same token as {twin.Name}; each approver needs their own, or the API cannot tell who decided");
            }

            approvers.Add(credential);
        }

        if (approvers.Count == 0 && !oidcConfigured)
        {
            throw new ConfigurationException(ConfigReader.Path(section, "Approvers"), "needs at least one approver with a token (or Identity:Oidc, for approvers with access tokens); without one nobody could use the admin API");
        }

        return new AdminOptions(listen, approvers) { AllowRemote = allowRemote };
    }

    /// <summary>Only the digest is kept: a memory dump or a printed record does not give away a usable token.</summary>
    private static byte[] ReadTokenDigest(IConfigurationSection entry)
    {
        var token = entry["Token"];
        var digest = entry["TokenSha256"];
        if (token is not null && digest is not null)
        {
            throw new ConfigurationException(entry.Path, "has both Token and TokenSha256; give one");
        }

        if (digest is not null)
        {
            var hex = digest.Trim();
            if (hex.Length != SHA256.HashSizeInBytes * 2 || !hex.All(Uri.IsHexDigit))
            {
                // Not echoed: a mistyped digest is still close to a credential.
                throw new ConfigurationException(ConfigReader.Path(entry, "TokenSha256"), "is not 64 hexadecimal digits (the SHA-256 of the token, e.g. from: printf %s TOKEN | sha256sum)");
            }

            return Convert.FromHexString(hex);
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new ConfigurationException(ConfigReader.Path(entry, "Token"), "is required (or TokenSha256): approvers authenticate to the admin API with it");
        }

        if (token.Length < MinimumTokenLength)
        {
            throw new ConfigurationException(ConfigReader.Path(entry, "Token"),
                $"is {token.Length.ToString(CultureInfo.InvariantCulture)} characters; a token needs at least {MinimumTokenLength} (e.g. from: openssl rand -hex 24)");
        }

        return ApproverCredential.Digest(token);
    }
}

/// <summary>An approver of the admin API: a name, their groups, and the SHA-256 of their bearer token (never the token).</summary>
public sealed record ApproverCredential(string Name, byte[] TokenSha256, IReadOnlyList<string> Groups)
{
    public static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>
    /// How the revocation file's <c>tokenIds</c> names a configured token: <c>sha256:</c> and the lowercase hex digest
    /// (what <c>printf %s TOKEN | sha256sum</c> prints), the form an OIDC token without a <c>jti</c> is named by too.
    /// </summary>
    public static string CredentialId(byte[] tokenSha256) => "sha256:" + Convert.ToHexStringLower(tokenSha256);

    /// <summary>The generated ToString would print the digest into any log or exception that shows an approver.</summary>
    public override string ToString() => $"{Name} ({string.Join(", ", Groups)})";
}
