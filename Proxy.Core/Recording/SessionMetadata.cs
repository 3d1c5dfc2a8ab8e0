namespace HoopProxy.Core.Recording;

/// <summary>Who connected to what, written as the first record of the session file.</summary>
public sealed record SessionMetadata(
    string SessionId,
    string Protocol,
    string Target,
    string Listener,
    string? Identity,
    IReadOnlyList<string> Groups,
    string? AuthenticationMethod,
    string? CredentialId,
    string? UpstreamAccount,
    string ClientAddress,
    int ClientPort,
    string ProxyHost,
    DateTimeOffset StartedAt)
{
    /// <summary>For a token login: the token's <c>iss</c>; null for configured users (whose issuer is the proxy itself).</summary>
    public string? IdentityIssuer { get; init; }

    /// <summary>For a token login: the token's <c>sub</c>, the provider's stable id of the bearer.</summary>
    public string? IdentitySubject { get; init; }

    /// <summary>
    /// For a refused login: the name it claimed (not recorded as the identity, which nobody proved). The audit trail
    /// names it, as PCI DSS asks of failed attempts.
    /// </summary>
    public string? ClaimedName { get; init; }

    /// <summary>Who, for the audit trail: the token's issuer and subject, a configured user, or the name a refused login claimed.</summary>
    public Audit.AuditUser AuditUser => Identity is not { } name
        ? ClaimedName is null ? Audit.AuditUser.Unknown : new Audit.AuditUser(IdentityIssuer, IdentitySubject, ClaimedName, [], null)
        : IdentityIssuer is not null
            ? new Audit.AuditUser(IdentityIssuer, IdentitySubject, name, Groups, UpstreamAccount)
            : Audit.AuditUser.Local(name, Groups, UpstreamAccount);
}
