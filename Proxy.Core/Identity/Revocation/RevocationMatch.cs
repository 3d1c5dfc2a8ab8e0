namespace HoopProxy.Core.Identity.Revocation;

/// <summary>The revocation entry a credential matched.</summary>
public sealed record RevocationMatch(RevocationKind Kind, string Value)
{
    /// <summary>
    /// For the client (FATAL ErrorResponse, SSH disconnect) and the audit trail. It names only what the client
    /// presented itself (its token id, key, subject or user name), nothing else on the list.
    /// </summary>
    public string Reason => Kind switch
    {
        RevocationKind.TokenId => $"token '{Value}' has been revoked",
        RevocationKind.KeyFingerprint => $"key {Value} has been revoked",
        RevocationKind.Subject => $"the credentials of subject '{Value}' have been revoked",
        _ => $"the credentials of user '{Value}' have been revoked",
    };

    /// <summary>The code a refused login's record and audit line carry: <c>token-revoked</c>, <c>key-revoked</c> …</summary>
    public string ErrorCode => Kind switch
    {
        RevocationKind.TokenId => "token-revoked",
        RevocationKind.KeyFingerprint => "key-revoked",
        RevocationKind.Subject => "subject-revoked",
        _ => "user-revoked",
    };

    public override string ToString() => Reason;
}
