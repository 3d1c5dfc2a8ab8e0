namespace HoopProxy.Core.Identity.Oidc;

/// <summary>Why a token was refused; the client is told <see cref="TokenValidation.Reason"/>, the audit trail records both.</summary>
public enum TokenRejection
{
    None = 0,

    /// <summary>Not a signed JWT (wrong shape, bad base64url or JSON, encrypted, too long).</summary>
    Malformed,

    /// <summary><c>alg</c> is not on the allow-list (this includes <c>none</c> and every HMAC algorithm), or differs from the <c>alg</c> its key declares.</summary>
    AlgorithmNotAllowed,

    /// <summary>No key with the token's <c>kid</c>, even after fetching the provider's keys again.</summary>
    UnknownSigningKey,

    /// <summary>The signature does not verify with the key: the token was altered or forged.</summary>
    BadSignature,

    WrongIssuer,
    WrongAudience,
    Expired,

    /// <summary>Before <c>nbf</c>, or <c>iat</c> in the future (beyond the clock skew).</summary>
    NotYetValid,

    /// <summary>Issued longer ago than <see cref="OidcOptions.MaxTokenAge"/>, or without <c>iat</c> while a maximum age is set.</summary>
    TooOld,

    /// <summary>A claim the proxy needs is absent: the name claim, <c>sub</c> or <c>exp</c>.</summary>
    MissingClaim,

    /// <summary>The provider's keys could not be fetched (discovery unreachable and nothing cached); not the client's fault.</summary>
    KeysUnavailable,
}
