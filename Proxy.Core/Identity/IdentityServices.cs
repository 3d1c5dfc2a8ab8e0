using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Core.Identity.Sessions;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Identity;

/// <summary>
/// What the logins and live sessions of every listener share about identity: token validation (when
/// <c>Identity:Oidc</c> is configured), the revocation list, and the guardian that ends sessions whose credential is
/// revoked or expired. One per process; owns what it opened.
/// </summary>
public sealed class IdentityServices : IDisposable
{
    private readonly OidcTokenValidator? _validator;
    private readonly bool _ownsRevocations;

    public IdentityServices(OidcTokenValidator? validator, RevocationList revocations, SessionGuardian guardian, bool ownsRevocations = false)
    {
        _validator = validator;
        _ownsRevocations = ownsRevocations;
        Revocations = revocations;
        Guardian = guardian;
        Tokens = validator is null ? null : new TokenLogin(validator, revocations);
    }

    /// <summary>No tokens, nothing revoked: configured users only.</summary>
    public static IdentityServices None { get; } = new(null, RevocationList.None, SessionGuardian.None);

    /// <summary>Token logins; null when no OIDC provider is configured (a password is then only ever a configured user's).</summary>
    public TokenLogin? Tokens { get; }

    public RevocationList Revocations { get; }

    public SessionGuardian Guardian { get; }

    /// <summary>
    /// Opens the revocation file and loads the provider's keys (a provider that cannot be reached is logged, and its keys
    /// are fetched again by the first login; a JWKS file that cannot be read stops the start).
    /// </summary>
    public static async Task<IdentityServices> StartAsync(IdentityOptions? options, ILoggerFactory loggers, Audit.AuditLog? audit,
        CancellationToken cancellationToken = default)
    {
        if (options is null)
        {
            return None;
        }

        var logger = loggers.CreateLogger("HoopProxy.Identity");
        var revocations = options.RevocationsFile is { } file ? RevocationList.Open(file, logger) : RevocationList.None;
        OidcTokenValidator? validator = null;
        if (options.Oidc is { } oidc)
        {
            validator = new OidcTokenValidator(oidc, logger);
            await validator.LoadKeysAsync(cancellationToken);
        }

        return new IdentityServices(validator, revocations, new SessionGuardian(revocations, logger, audit), ownsRevocations: true);
    }

    public void Dispose()
    {
        if (ReferenceEquals(this, None))
        {
            return;
        }

        Guardian.Dispose();
        _validator?.Dispose();
        if (_ownsRevocations)
        {
            Revocations.Dispose();
        }
    }
}
