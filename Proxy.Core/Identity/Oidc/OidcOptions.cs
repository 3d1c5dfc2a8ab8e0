using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Core.Identity.Oidc;

/// <summary>
/// How OIDC access tokens are validated. Immutable; read once at startup from <c>Identity:Oidc</c> (and
/// <c>Identity:MaxTokenAge</c>, <c>Identity:ExpiryGrace</c>) by <see cref="IdentityOptions.FromConfiguration"/>.
/// </summary>
public sealed record OidcOptions
{
    /// <summary>The <c>iss</c> every token must carry, byte for byte (mind a trailing slash); discovery is read from <c>{Issuer}/.well-known/openid-configuration</c>.</summary>
    public required string Issuer { get; init; }

    /// <summary>The <c>aud</c> a token must contain: an ID token (audience = a client id) or a token for another API is refused.</summary>
    public required string Audience { get; init; }

    /// <summary>A JWKS file read instead of the discovery document (offline use); absolute path. Null: keys come from discovery.</summary>
    public string? JwksFile { get; init; }

    /// <summary>The claim that becomes the identity's name, e.g. <c>email</c> or <c>preferred_username</c>. A token without it is refused.</summary>
    public string NameClaim { get; init; } = DefaultNameClaim;

    /// <summary>The claim with the groups: an array of strings, or one string of names separated by spaces or commas. Missing: no groups.</summary>
    public string GroupsClaim { get; init; } = DefaultGroupsClaim;

    /// <summary>The <c>alg</c> values accepted. Only asymmetric ones exist here: see <see cref="SupportedAlgorithms"/>.</summary>
    public IReadOnlySet<string> Algorithms { get; init; } = DefaultAlgorithms;

    /// <summary>Tolerance for the clocks of the provider and the proxy, applied to <c>exp</c>, <c>nbf</c> and <c>iat</c>.</summary>
    public TimeSpan ClockSkew { get; init; } = DefaultClockSkew;

    /// <summary>A token issued (<c>iat</c>) longer ago than this is refused even if it has not expired, and an open session ends when it reaches this age. Null: no limit besides <c>exp</c>.</summary>
    public TimeSpan? MaxTokenAge { get; init; }

    /// <summary>How long a session may outlive its token. Zero: the session ends when the token expires.</summary>
    public TimeSpan ExpiryGrace { get; init; } = TimeSpan.Zero;

    /// <summary>Discovery only: how often the keys are fetched again although nothing asked for it (picks up removed keys).</summary>
    public TimeSpan KeyRefreshInterval { get; init; } = DefaultKeyRefreshInterval;

    /// <summary>The least time between two fetches caused by a token whose <c>kid</c> is unknown, so forged kids cannot make the proxy flood the provider.</summary>
    public TimeSpan UnknownKeyRefreshInterval { get; init; } = DefaultUnknownKeyRefreshInterval;

    public const string DefaultNameClaim = "sub";
    public const string DefaultGroupsClaim = "groups";
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultKeyRefreshInterval = TimeSpan.FromHours(1);
    public static readonly TimeSpan DefaultUnknownKeyRefreshInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Every algorithm that may be allowed: RSA PKCS#1 v1.5, RSA-PSS and ECDSA. Never <c>none</c>, and never HMAC
    /// (<c>HS256</c> …): with HMAC the verification key is the signing key, and a validator that accepted it would
    /// take the provider's published public key as the secret, so anyone could sign.
    /// </summary>
    public static readonly FrozenSet<string> SupportedAlgorithms =
        FrozenSet.ToFrozenSet(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"], StringComparer.Ordinal);

    /// <summary>What the common providers sign with (Entra ID, Okta, Auth0, Keycloak, Google: RS256; some ES256 or PS256).</summary>
    public static readonly FrozenSet<string> DefaultAlgorithms =
        FrozenSet.ToFrozenSet(["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"], StringComparer.Ordinal);

    /// <summary>Where the discovery document is.</summary>
    public Uri MetadataAddress => new(Issuer.TrimEnd('/') + "/.well-known/openid-configuration");

    /// <summary>Plain http is allowed only to a provider on this machine (a development or test provider); elsewhere a network attacker could swap the keys.</summary>
    public bool RequireHttps => !IsLoopback(new Uri(Issuer));

    internal static readonly string[] Keys = ["Issuer", "Audience", "JwksFile", "NameClaim", "GroupsClaim", "Algorithms", "ClockSkew", "KeyRefreshInterval", "UnknownKeyRefreshInterval"];

    /// <summary>Reads <c>Identity:Oidc</c>; <paramref name="identity"/> is the <c>Identity</c> section, for MaxTokenAge and ExpiryGrace.</summary>
    internal static OidcOptions FromConfiguration(IConfigurationSection oidc, IConfigurationSection identity, string baseDirectory)
    {
        oidc.RejectUnknownKeys(Keys);
        var issuer = oidc.RequiredString("Issuer");
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) || issuerUri.Scheme is not ("https" or "http") || issuerUri.Query.Length > 0 || issuerUri.Fragment.Length > 0)
        {
            throw new ConfigurationException(ConfigReader.Path(oidc, "Issuer"), $"'{issuer}' is not an https URL without query or fragment, such as https://idp.example.test");
        }

        var jwksFile = oidc.OptionalString("JwksFile") is { } file ? TlsOptions.Resolve(baseDirectory, file) : null;
        if (issuerUri.Scheme == "http" && !IsLoopback(issuerUri) && jwksFile is null)
        {
            throw new ConfigurationException(ConfigReader.Path(oidc, "Issuer"),
                $"'{issuer}' must be https: the signing keys are fetched from it (plain http is allowed only for a provider on this machine)");
        }

        if (jwksFile is not null && !File.Exists(jwksFile))
        {
            throw new ConfigurationException(ConfigReader.Path(oidc, "JwksFile"), $"file '{jwksFile}' does not exist");
        }

        return new OidcOptions
        {
            Issuer = issuer,
            Audience = oidc.RequiredString("Audience"),
            JwksFile = jwksFile,
            NameClaim = oidc.OptionalString("NameClaim") ?? DefaultNameClaim,
            GroupsClaim = oidc.OptionalString("GroupsClaim") ?? DefaultGroupsClaim,
            Algorithms = ReadAlgorithms(oidc),
            ClockSkew = ReadDuration(oidc, "ClockSkew", DefaultClockSkew, TimeSpan.Zero, TimeSpan.FromMinutes(5)),
            MaxTokenAge = identity["MaxTokenAge"] is null ? null : ReadDuration(identity, "MaxTokenAge", TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.FromDays(366)),
            ExpiryGrace = ReadDuration(identity, "ExpiryGrace", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromDays(1)),
            KeyRefreshInterval = ReadDuration(oidc, "KeyRefreshInterval", DefaultKeyRefreshInterval, TimeSpan.FromMinutes(5), TimeSpan.FromDays(1)),
            UnknownKeyRefreshInterval = ReadDuration(oidc, "UnknownKeyRefreshInterval", DefaultUnknownKeyRefreshInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
        };
    }

    private static FrozenSet<string> ReadAlgorithms(IConfigurationSection oidc)
    {
        var configured = oidc.StringList("Algorithms");
        if (configured.Count == 0)
        {
            return DefaultAlgorithms;
        }

        foreach (var algorithm in configured)
        {
            if (algorithm.StartsWith("HS", StringComparison.OrdinalIgnoreCase))
            {
                throw new ConfigurationException(ConfigReader.Path(oidc, "Algorithms"),
                    $"'{algorithm}' is HMAC, which is never accepted: its key is a shared secret, and the provider's keys are public, so anyone could sign such a token");
            }

            if (!SupportedAlgorithms.Contains(algorithm))
            {
                throw new ConfigurationException(ConfigReader.Path(oidc, "Algorithms"),
                    $"'{algorithm}' is not one of {string.Join(", ", SupportedAlgorithms.Order(StringComparer.Ordinal))}");
            }
        }

        return configured.ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// ConfigReader.Duration refuses zero (it is for timeouts); here zero is meaningful (no clock skew, no grace) and
    /// token ages reach beyond a day, so each key states its own range.
    /// </summary>
    private static TimeSpan ReadDuration(IConfigurationSection section, string key, TimeSpan defaultValue, TimeSpan min, TimeSpan max)
    {
        var raw = section[key];
        if (raw is null)
        {
            return defaultValue;
        }

        if (TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        throw new ConfigurationException(ConfigReader.Path(section, key),
            $"'{raw}' is not a duration from {min.ToString("c", CultureInfo.InvariantCulture)} to {max.ToString("c", CultureInfo.InvariantCulture)}, such as 00:01:00");
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
