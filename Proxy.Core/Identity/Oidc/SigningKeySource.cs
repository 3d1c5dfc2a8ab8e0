namespace HoopProxy.Core.Identity.Oidc;

/// <summary>Where the verification keys come from: a JWKS file, or the provider's discovery document.</summary>
internal abstract class SigningKeySource : IDisposable
{
    /// <summary>The keys to validate with now; loads them on first use and, when due, starts a refresh in the background.</summary>
    public abstract ValueTask<SigningKeySet> GetAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A token names a <c>kid</c> the current keys lack, as after the provider rotated its keys: read the keys again,
    /// if that is allowed now (rate-limited), and return them, changed or not.
    /// </summary>
    public abstract ValueTask<SigningKeySet> RefreshForUnknownKeyAsync(CancellationToken cancellationToken);

    public virtual void Dispose()
    {
    }
}
