using HoopProxy.Core.Identity.Oidc;

namespace HoopProxy.Core.Identity.Revocation;

/// <summary>
/// A login proved its credential, and the credential is revoked: the cause a protocol's refusal carries, so the record
/// and the audit trail can name who tried (the token's subject and id), which a failed proof cannot tell.
/// </summary>
public sealed class CredentialRevokedException(RevocationMatch match, TokenIdentity? token = null) : Exception(match.Reason)
{
    public RevocationMatch Match { get; } = match;

    /// <summary>The valid but revoked token; null when the credential was a password or a key.</summary>
    public TokenIdentity? Token { get; } = token;
}
