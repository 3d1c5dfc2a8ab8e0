using HoopProxy.Core.Identity;
using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Core.Identity.Sessions;

namespace HoopProxy.Postgres.Session;

/// <summary>Who a PostgreSQL client proved to be, and with what.</summary>
/// <param name="User">The proxy user: a configured one, or for a token the token's name and groups (no password).</param>
/// <param name="Token">The validated access token's identity; null for a configured user.</param>
/// <param name="Method"><c>scram-sha-256</c>, <c>password</c> (cleartext inside TLS) or <c>oidc</c> (a token as the password, inside TLS).</param>
/// <param name="CredentialId">The token id for a token, <c>user:NAME</c> for a configured user's password.</param>
public sealed record ClientLogin(ProxyUser User, TokenIdentity? Token, string Method, string CredentialId)
{
    public const string TokenMethod = "oidc";

    /// <summary>What the revocation list and the expiry watch match this session by.</summary>
    public SessionCredential Credential => Token is { } token ? SessionCredential.FromToken(token) : new SessionCredential(User.Name);
}
