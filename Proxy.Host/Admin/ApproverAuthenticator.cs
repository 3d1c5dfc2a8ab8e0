using System.Security.Cryptography;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Identity;

namespace HoopProxy.Host.Admin;

/// <summary>
/// Turns a bearer token into the approver it belongs to: a configured approver's token, compared in time that does
/// not depend on how much of it matched; or, when <c>Identity:Oidc</c> is configured, an OIDC access token validated
/// as a login validates it (signature, issuer, audience, lifetime). Either is refused while on the revocation list.
/// </summary>
public sealed class ApproverAuthenticator(IReadOnlyList<ApproverCredential> approvers, IdentityServices? identity = null)
{
    private readonly IdentityServices _identity = identity ?? IdentityServices.None;

    public async ValueTask<ApproverAuthentication> AuthenticateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return ApproverAuthentication.Missing;
        }

        // Configured tokens first: they are random strings that never look like a JWT, and the comparison costs no I/O.
        if (MatchConfigured(token) is { } configured)
        {
            return _identity.Revocations.IsRevoked(user: configured.Name, tokenId: configured.CredentialId) is { } revoked
                ? ApproverAuthentication.Refused(revoked.Reason, "token-revoked")
                : ApproverAuthentication.Accepted(configured);
        }

        if (!TokenLogin.LooksLikeToken(token))
        {
            return ApproverAuthentication.Unknown;
        }

        if (_identity.Tokens is not { } tokens)
        {
            return ApproverAuthentication.Refused("OIDC access tokens are accepted only when Identity:Oidc is configured", "token-not-accepted");
        }

        // The same validation and revocation check as a PostgreSQL or SSH login with a token.
        var login = await tokens.AuthenticateAsync(token, cancellationToken);
        if (login.Identity is not { } person)
        {
            return ApproverAuthentication.Refused(login.Refusal ?? "the token was refused", login.ErrorCode ?? "token-invalid");
        }

        if (approvers.Any(a => string.Equals(a.Name, person.Name, StringComparison.OrdinalIgnoreCase)))
        {
            // Rules name approvers: a provider's user must not become a configured approver by its name claim.
            return ApproverAuthentication.Refused($"the token names '{person.Name}', an approver configured in the proxy, who uses their own token",
                "token-configured-user");
        }

        return ApproverAuthentication.Accepted(new ApproverIdentity(person.Name, person.Groups)
        {
            Subject = person.Subject,
            CredentialId = person.TokenId,
            KeyFingerprint = person.SigningKeyFingerprint,
        });
    }

    private ApproverIdentity? MatchConfigured(string token)
    {
        // Digests have a fixed length, so FixedTimeEquals compares all 32 bytes whatever the presented token's length;
        // every credential is compared (no early exit) so the time does not tell which approver was close.
        var presented = ApproverCredential.Digest(token);
        ApproverCredential? match = null;
        foreach (var approver in approvers)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, approver.TokenSha256))
            {
                match = approver;
            }
        }

        return match is null ? null : new ApproverIdentity(match.Name, match.Groups) { CredentialId = ApproverCredential.CredentialId(match.TokenSha256) };
    }

    /// <summary>The token of an <c>Authorization: Bearer &lt;token&gt;</c> header; null for any other scheme or none.</summary>
    public static string? BearerToken(string? authorization)
    {
        const string scheme = "Bearer ";
        return authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? authorization[scheme.Length..].Trim()
            : null;
    }
}

/// <summary>Who a bearer token belongs to, or why it was refused (safe to tell the caller: it never repeats the token).</summary>
/// <param name="Code">A short code for the refusal (<c>token-expired</c>, <c>token-revoked</c> …); null when accepted.</param>
/// <param name="InvalidToken">A token was recognised and refused for a stated reason (RFC 6750 <c>invalid_token</c>), rather than missing or unknown.</param>
public sealed record ApproverAuthentication(ApproverIdentity? Approver, string Refusal, string? Code, bool InvalidToken)
{
    private const string TokenRequired = "a valid approver token is required: send the header Authorization: Bearer TOKEN";

    public static ApproverAuthentication Missing { get; } = new(null, TokenRequired, "token-missing", InvalidToken: false);

    /// <summary>Neither a configured approver's token nor a JWT: nothing more can be said about it.</summary>
    public static ApproverAuthentication Unknown { get; } = new(null, TokenRequired, "token-unknown", InvalidToken: false);

    public static ApproverAuthentication Accepted(ApproverIdentity approver) => new(approver, "", null, InvalidToken: false);

    public static ApproverAuthentication Refused(string reason, string code) => new(null, "the approver token was refused: " + reason, code, InvalidToken: true);
}
