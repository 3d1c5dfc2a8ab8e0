using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity.Oidc;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Core.Identity;

/// <summary>
/// The <c>Identity</c> section: OIDC access tokens beside the configured users, and the revocation list. Immutable;
/// read once at startup (the revocation file itself is reloaded, see <see cref="Revocation.RevocationList"/>).
/// </summary>
/// <param name="Oidc">Null: no tokens are accepted, only the configured users.</param>
/// <param name="RevocationsFile">Absolute path of the revocation list; null: nothing is revoked.</param>
public sealed record IdentityOptions(OidcOptions? Oidc, string? RevocationsFile)
{
    private static readonly string[] Keys = ["Oidc", "MaxTokenAge", "ExpiryGrace", "RevocationsFile"];

    /// <summary>
    /// Reads <c>{ "Oidc": { "Issuer", "Audience", "JwksFile", "NameClaim", "GroupsClaim", "Algorithms", "ClockSkew",
    /// "KeyRefreshInterval", "UnknownKeyRefreshInterval" }, "MaxTokenAge", "ExpiryGrace", "RevocationsFile" }</c>; paths
    /// are relative to <paramref name="baseDirectory"/>. Returns null when the section is absent.
    /// </summary>
    public static IdentityOptions? FromConfiguration(IConfigurationSection section, string baseDirectory)
    {
        if (!section.Exists())
        {
            return null;
        }

        section.RejectUnknownKeys(Keys);
        var oidcSection = section.GetSection("Oidc");
        OidcOptions? oidc = null;
        if (oidcSection.Exists())
        {
            oidc = OidcOptions.FromConfiguration(oidcSection, section, baseDirectory);
        }
        else
        {
            // Both only mean something for tokens; accepting them silently would suggest a protection that is not there.
            foreach (var tokenKey in (string[])["MaxTokenAge", "ExpiryGrace"])
            {
                if (section[tokenKey] is not null)
                {
                    throw new ConfigurationException(ConfigReader.Path(section, tokenKey), "applies to OIDC tokens, but Identity:Oidc is not configured");
                }
            }
        }

        string? revocations = null;
        if (section.OptionalString("RevocationsFile") is { } file)
        {
            revocations = TlsOptions.Resolve(baseDirectory, file);
            // A mistyped path would revoke nothing without a word; an empty list is one line: {}
            if (!File.Exists(revocations))
            {
                throw new ConfigurationException(ConfigReader.Path(section, "RevocationsFile"), $"file '{revocations}' does not exist (an empty list is a file containing {{}})");
            }
        }

        return new IdentityOptions(oidc, revocations);
    }
}
