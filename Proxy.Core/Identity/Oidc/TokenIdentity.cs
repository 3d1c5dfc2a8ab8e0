namespace HoopProxy.Core.Identity.Oidc;

/// <summary>Who a validated access token says its bearer is. Nothing here is secret: the token itself is never kept.</summary>
public sealed record TokenIdentity
{
    /// <summary>The configured name claim (<see cref="OidcOptions.NameClaim"/>), e.g. <c>alice@example.test</c>.</summary>
    public required string Name { get; init; }

    /// <summary>From the configured groups claim; empty when the token has none.</summary>
    public required IReadOnlyList<string> Groups { get; init; }

    /// <summary>The token's <c>sub</c>: the provider's stable id of the person or client (a name can be reassigned, this cannot).</summary>
    public required string Subject { get; init; }

    /// <summary>The token's <c>iss</c>; with <see cref="Subject"/> it identifies the bearer uniquely.</summary>
    public required string Issuer { get; init; }

    /// <summary>
    /// The credential id: the token's <c>jti</c>, or, for a token without one, <c>sha256:</c> and the lowercase hex
    /// SHA-256 of the whole token (<c>printf %s "$TOKEN" | sha256sum</c>) — stable, revocable, and not the token.
    /// </summary>
    public required string TokenId { get; init; }

    /// <summary>The token's <c>exp</c>.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The token's <c>iat</c>, when it has one.</summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary>
    /// When a session opened with this token must end: the token's expiry, or the moment it becomes older than
    /// <see cref="OidcOptions.MaxTokenAge"/> if that is sooner, plus <see cref="OidcOptions.ExpiryGrace"/>.
    /// </summary>
    public required DateTimeOffset SessionEndsAt { get; init; }

    /// <summary>The <c>kid</c> of the key that signed the token; null when the token named none.</summary>
    public string? SigningKeyId { get; init; }

    /// <summary>
    /// <c>jwk:</c> and the RFC 7638 thumbprint (base64url SHA-256) of the key that signed the token, as listed under
    /// <c>keyFingerprints</c> in the revocation file to stop honouring a leaked provider key before the provider rotates it.
    /// </summary>
    public required string SigningKeyFingerprint { get; init; }
}
