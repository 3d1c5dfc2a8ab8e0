using System.Diagnostics.CodeAnalysis;

namespace HoopProxy.Core.Identity.Oidc;

/// <summary>The outcome of <see cref="OidcTokenValidator.ValidateAsync"/>: an identity, or a rejection with a reason the client may read.</summary>
public sealed class TokenValidation
{
    private TokenValidation(TokenIdentity? identity, TokenRejection rejection, string reason)
    {
        Identity = identity;
        Rejection = rejection;
        Reason = reason;
    }

    [MemberNotNullWhen(true, nameof(Identity))]
    public bool Succeeded => Identity is not null;

    public TokenIdentity? Identity { get; }

    /// <summary><see cref="TokenRejection.None"/> on success.</summary>
    public TokenRejection Rejection { get; }

    /// <summary>
    /// Safe to send to the client and to log: it says what was wrong with the token, never repeats the token, and
    /// names nothing the client does not already have (no configured audience or issuer).
    /// </summary>
    public string Reason { get; }

    public static TokenValidation Success(TokenIdentity identity) => new(identity, TokenRejection.None, "");

    public static TokenValidation Refused(TokenRejection rejection, string reason) => new(null, rejection, reason);

    public override string ToString() => Succeeded ? $"valid: {Identity.Name}" : $"{Rejection}: {Reason}";
}
