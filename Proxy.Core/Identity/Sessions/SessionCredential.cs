namespace HoopProxy.Core.Identity.Sessions;

/// <summary>
/// What a live session was opened with, as far as revocation and expiry care: each field is matched against its list
/// in the revocation file (<see cref="Revocation.RevocationSet.Match(string?, string?, string?, string?)"/>).
/// </summary>
/// <param name="User">The proxy user name (a configured user, or the token's name claim).</param>
/// <param name="Subject">The token's <c>sub</c>; null for a configured user.</param>
/// <param name="TokenId">The token's credential id (<c>jti</c> or <c>sha256:…</c>); null without a token.</param>
/// <param name="KeyFingerprint">The SSH key's fingerprint for a publickey login, or the provider key's <c>jwk:</c> thumbprint for a token.</param>
/// <param name="EndsAt">When the session must end (a token's <see cref="Oidc.TokenIdentity.SessionEndsAt"/>); null: never on its own.</param>
public sealed record SessionCredential(string User, string? Subject = null, string? TokenId = null, string? KeyFingerprint = null, DateTimeOffset? EndsAt = null)
{
    public static SessionCredential FromToken(Oidc.TokenIdentity token) =>
        new(token.Name, token.Subject, token.TokenId, token.SigningKeyFingerprint, token.SessionEndsAt);
}
