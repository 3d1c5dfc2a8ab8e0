namespace HoopProxy.Core.Identity.Revocation;

/// <summary>What a revocation entry names; each is a list in the revocation file.</summary>
public enum RevocationKind
{
    /// <summary><c>tokenIds</c>: one token, by its <c>jti</c> (or <c>sha256:</c> hash, see <see cref="Oidc.TokenIdentity.TokenId"/>).</summary>
    TokenId,

    /// <summary><c>keyFingerprints</c>: an SSH public key (<c>SHA256:…</c> as <c>ssh-keygen -l</c> prints it) or a provider's signing key (<c>jwk:…</c>).</summary>
    KeyFingerprint,

    /// <summary><c>subjects</c>: every token of one provider subject (<c>sub</c>), whatever its name claim says.</summary>
    Subject,

    /// <summary><c>users</c>: a user name, configured or from the token's name claim; compared ignoring case.</summary>
    User,
}
