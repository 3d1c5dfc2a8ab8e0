using HoopProxy.Core.Identity;
using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Core.Identity.Sessions;
using HoopProxy.Ssh.Configuration;

namespace HoopProxy.Ssh.Authentication;

/// <summary>Who logged in to the proxy and where they go: fixed for the whole connection.</summary>
/// <param name="User">A configured user, or for a token the token's name and groups (no password, no keys).</param>
/// <param name="Method">"publickey", "password", "keyboard-interactive" (a configured password typed at the prompt), or
/// <see cref="TokenPassword"/> / <see cref="TokenKeyboardInteractive"/> for an access token.</param>
/// <param name="CredentialId">The key's SHA256 fingerprint for publickey, <c>user:NAME</c> for a password, the token id for a token.</param>
/// <param name="Credential">What the revocation list and the expiry watch match this session by.</param>
/// <param name="Token">The validated access token's identity; null for a configured user.</param>
public sealed record SshClientLogin(ProxyUser User, SshTarget Target, string Method, string CredentialId, SessionCredential Credential,
    TokenIdentity? Token = null)
{
    /// <summary>An access token sent as the "password" method's password.</summary>
    public const string TokenPassword = "oidc-password";

    /// <summary>An access token typed at the "keyboard-interactive" prompt.</summary>
    public const string TokenKeyboardInteractive = "oidc-keyboard-interactive";

    public static SshClientLogin WithPassword(ProxyUser user, SshTarget target, string method) =>
        new(user, target, method, $"user:{user.Name}", new SessionCredential(user.Name));

    public static SshClientLogin WithKey(ProxyUser user, SshTarget target, string fingerprint) =>
        new(user, target, "publickey", fingerprint, new SessionCredential(user.Name, KeyFingerprint: fingerprint));

    public static SshClientLogin WithToken(TokenIdentity token, SshTarget target, string method) =>
        new(new ProxyUser(token.Name, null, token.Groups), target, method, token.TokenId, SessionCredential.FromToken(token), token);
}

/// <summary>One refused or accepted attempt, for the log, the session record and the audit trail (never a password or token).</summary>
/// <param name="Method">The method as recorded: the wire name, or <see cref="SshClientLogin.TokenPassword"/> and its kin for a token.</param>
/// <param name="ErrorCode">For a refusal, the audit trail's <c>error_code</c>: <c>refused</c>, <c>token-expired</c>, <c>key-revoked</c> …</param>
/// <param name="TokenId">The token's credential id when a valid token was refused (revoked, another user's); never the token.</param>
public sealed record SshLoginAttempt(string LoginName, string Method, bool Accepted, string? KeyFingerprint, string? Reason,
    string? ErrorCode = null, string? TokenId = null);
