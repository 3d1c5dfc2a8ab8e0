using HoopProxy.Core.Identity;
using HoopProxy.Ssh.Configuration;

namespace HoopProxy.Ssh.Authentication;

/// <summary>Who logged in to the proxy and where they go: fixed for the whole connection.</summary>
/// <param name="Method">"publickey" or "password".</param>
/// <param name="CredentialId">The key's SHA256 fingerprint for publickey, <c>user:NAME</c> for password.</param>
public sealed record SshClientLogin(ProxyUser User, SshTarget Target, string Method, string CredentialId);

/// <summary>One refused or accepted attempt, for the log and the session record (never a password).</summary>
public sealed record SshLoginAttempt(string LoginName, string Method, bool Accepted, string? KeyFingerprint, string? Reason);
