using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace HoopProxy.Core.Identity.Oidc;

/// <summary>
/// Keys from the provider: <c>{Issuer}/.well-known/openid-configuration</c>, then its <c>jwks_uri</c>. Cached; fetched
/// again every <see cref="OidcOptions.KeyRefreshInterval"/> in the background (validations go on with the cached
/// keys meanwhile), and on an unknown <c>kid</c> at most once per <see cref="OidcOptions.UnknownKeyRefreshInterval"/>,
/// with the validation waiting for that fetch so the first token signed with a freshly rotated key is accepted.
/// </summary>
/// <remarks>
/// ConfigurationManager&lt;OpenIdConnectConfiguration&gt; is not used: since IdentityModel 8 its RequestRefresh only
/// starts a background fetch that cannot be awaited, so the connection that brought the new kid would be refused.
/// The fetching and parsing are still the library's (<see cref="OpenIdConnectConfigurationRetriever"/>).
/// A failed fetch keeps the keys in force (last known good), however long the provider stays unreachable.
/// </remarks>
internal sealed class DiscoveryKeySource : SigningKeySource
{
    /// <summary>Without any keys every token is refused, so a failed first fetch is retried soon, but not for every connection.</summary>
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);

    /// <summary>A connection waits at most this long for the provider (each of the two documents).</summary>
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(10);

    private readonly OidcOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly HttpDocumentRetriever _retriever;
    private readonly Lock _gate = new();
    private SigningKeySet _current = SigningKeySet.Empty;
    private Task<SigningKeySet>? _fetch;
    private DateTimeOffset _lastUnknownKeyFetch = DateTimeOffset.MinValue;
    private DateTimeOffset _noFetchBefore = DateTimeOffset.MinValue;

    public DiscoveryKeySource(OidcOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
        _http = new HttpClient { Timeout = FetchTimeout };
        _retriever = new HttpDocumentRetriever(_http) { RequireHttps = options.RequireHttps };
    }

    public override async ValueTask<SigningKeySet> GetAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current);
        var now = _time.GetUtcNow();
        if (current.IsEmpty)
        {
            return await FetchUnlessRecentlyFailed(now).WaitAsync(cancellationToken);
        }

        if (now - current.LoadedAt >= _options.KeyRefreshInterval)
        {
            // Not awaited: the cached keys are still good for this token.
            _ = FetchUnlessRecentlyFailed(now);
        }

        return current;
    }

    public override async ValueTask<SigningKeySet> RefreshForUnknownKeyAsync(CancellationToken cancellationToken)
    {
        Task<SigningKeySet> fetch;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_fetch is null && now - _lastUnknownKeyFetch < _options.UnknownKeyRefreshInterval)
            {
                OidcLog.UnknownKeyRefreshDeferred(_logger, _options.UnknownKeyRefreshInterval);
                return _current;
            }

            _lastUnknownKeyFetch = now;
            fetch = StartFetch();
        }

        return await fetch.WaitAsync(cancellationToken);
    }

    private Task<SigningKeySet> FetchUnlessRecentlyFailed(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _fetch is null && now < _noFetchBefore ? Task.FromResult(_current) : StartFetch();
        }
    }

    /// <summary>One fetch at a time; whoever asks meanwhile waits for the same one. Call under <see cref="_gate"/>.</summary>
    private Task<SigningKeySet> StartFetch() => _fetch ??= Task.Run(FetchAsync);

    private async Task<SigningKeySet> FetchAsync()
    {
        var address = _options.MetadataAddress.AbsoluteUri;
        try
        {
            // Not the caller's cancellation: the fetch is shared, and one client hanging up must not fail it for the others.
            var document = await OpenIdConnectConfigurationRetriever.GetAsync(address, _retriever, CancellationToken.None);
            if (!string.Equals(document.Issuer, _options.Issuer, StringComparison.Ordinal))
            {
                // OpenID Connect Discovery 1.0 §4.3: a document for another issuer must not be used.
                throw new InvalidOperationException($"the document's issuer is '{document.Issuer}', not '{_options.Issuer}'");
            }

            var keys = document.JsonWebKeySet is null
                ? SigningKeySet.Empty
                : SigningKeySet.From(document.JsonWebKeySet, document.JwksUri ?? address, _time.GetUtcNow());
            if (keys.IsEmpty)
            {
                throw new InvalidOperationException($"no RSA or EC signing key at jwks_uri '{document.JwksUri}' ({keys.Describe()})");
            }

            Volatile.Write(ref _current, keys);
            OidcLog.KeysLoaded(_logger, keys.Source, keys.Describe());
            return keys;
        }
#pragma warning disable CA1031 // Whatever went wrong (network, TLS, JSON, the document), the keys in force stay and the reason is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            OidcLog.KeysFetchFailed(_logger, address, Volatile.Read(ref _current).IsEmpty, e.Message);
            lock (_gate)
            {
                _noFetchBefore = _time.GetUtcNow() + RetryAfterFailure;
            }

            return Volatile.Read(ref _current);
        }
        finally
        {
            lock (_gate)
            {
                _fetch = null;
            }
        }
    }

    public override void Dispose() => _http.Dispose();
}
