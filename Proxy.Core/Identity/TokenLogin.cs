using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Core.Identity.Revocation;

namespace HoopProxy.Core.Identity;

/// <summary>
/// What a login does with a presented access token: validate it (<see cref="OidcTokenValidator"/>), then consult the
/// revocation list, so a revoked token is refused with the revocation's reason. Shared by the PostgreSQL and SSH logins
/// and the admin API.
/// </summary>
public sealed class TokenLogin(OidcTokenValidator validator, RevocationList revocations)
{
    public OidcOptions Options => validator.Options;

    /// <summary>Whether a password is shaped like a JWT (three base64url parts), so it is worth validating as one.</summary>
    public static bool LooksLikeToken(string password) => OidcTokenValidator.LooksLikeToken(password);

    public async ValueTask<TokenLoginResult> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        var validation = await validator.ValidateAsync(token, cancellationToken);
        if (validation.Identity is not { } identity)
        {
            return new TokenLoginResult(null, validation.Reason, null, validation.Rejection);
        }

        return revocations.IsRevoked(identity) is { } match
            ? new TokenLoginResult(null, match.Reason, match, TokenRejection.None) { RevokedToken = identity }
            : new TokenLoginResult(identity, null, null, TokenRejection.None);
    }
}

/// <summary>A token login's outcome: the identity, or the reason it was refused (for the client and the record; never the token).</summary>
/// <param name="Revocation">Set when a valid token was refused because it is on the revocation list.</param>
/// <param name="Rejection">Why validation failed; <see cref="TokenRejection.None"/> when it passed.</param>
public sealed record TokenLoginResult(TokenIdentity? Identity, string? Refusal, RevocationMatch? Revocation, TokenRejection Rejection)
{
    public bool Succeeded => Identity is not null;

    /// <summary>For a revoked token: who it names (valid, but not honoured), for the record of the refusal.</summary>
    public TokenIdentity? RevokedToken { get; init; }

    /// <summary>A short code for the audit trail's <c>error_code</c>: <c>token-revoked</c>, <c>token-expired</c>, <c>token-invalid</c> …</summary>
    public string? ErrorCode => Succeeded ? null : Revocation is not null ? "token-revoked" : "token-" + Rejection switch
    {
        TokenRejection.Expired => "expired",
        TokenRejection.TooOld => "too-old",
        TokenRejection.NotYetValid => "not-yet-valid",
        TokenRejection.WrongAudience => "wrong-audience",
        TokenRejection.WrongIssuer => "wrong-issuer",
        TokenRejection.UnknownSigningKey => "unknown-key",
        TokenRejection.BadSignature => "bad-signature",
        TokenRejection.AlgorithmNotAllowed => "algorithm-refused",
        TokenRejection.KeysUnavailable => "keys-unavailable",
        TokenRejection.MissingClaim => "missing-claim",
        _ => "invalid",
    };
}
