using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace HoopProxy.Core.Identity.Oidc;

/// <summary>
/// Keys from a JWKS file, for a proxy that cannot or should not reach the provider. Read at start (a bad file stops
/// the start); read again when a token names an unknown <c>kid</c> and the file has changed since, so keys can be
/// rotated offline by replacing the file. A bad replacement keeps the keys in force.
/// </summary>
internal sealed class JwksFileKeySource : SigningKeySource
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _reload = new();
    private SigningKeySet _current;
    private (DateTime WriteTime, long Length) _loadedStamp;

    public JwksFileKeySource(string path, ILogger logger, TimeProvider time)
    {
        _path = path;
        _logger = logger;
        _time = time;
        if (!TryLoad(out var keys, out var stamp, out var error))
        {
            throw new ConfigurationException("Identity:Oidc:JwksFile", $"'{path}': {error}");
        }

        _current = keys;
        _loadedStamp = stamp;
        OidcLog.KeysLoaded(_logger, keys.Source, keys.Describe());
    }

    public override ValueTask<SigningKeySet> GetAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Volatile.Read(ref _current));

    public override ValueTask<SigningKeySet> RefreshForUnknownKeyAsync(CancellationToken cancellationToken)
    {
        lock (_reload)
        {
            // A stat per unknown kid is cheap; reading and parsing only happens when the file really changed.
            if (Stamp() != _loadedStamp)
            {
                if (TryLoad(out var keys, out var stamp, out var error))
                {
                    Volatile.Write(ref _current, keys);
                    OidcLog.KeysLoaded(_logger, keys.Source, keys.Describe());
                }
                else
                {
                    OidcLog.KeysRejected(_logger, _path, error);
                }

                // Also after a failure: the same bad file is not parsed again for every token.
                _loadedStamp = stamp;
            }

            return ValueTask.FromResult(_current);
        }
    }

    private (DateTime, long) Stamp()
    {
        var info = new FileInfo(_path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    private bool TryLoad(out SigningKeySet keys, out (DateTime, long) stamp, out string error)
    {
        stamp = Stamp();
        keys = SigningKeySet.Empty;
        try
        {
            keys = SigningKeySet.From(new JsonWebKeySet(File.ReadAllText(_path)), _path, _time.GetUtcNow());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Text.Json.JsonException)
        {
            error = $"not a readable JWKS document ({{\"keys\": [ … ]}}): {e.Message}";
            return false;
        }

        error = keys.IsEmpty ? $"no RSA or EC signing key in it ({keys.Describe()})" : "";
        return !keys.IsEmpty;
    }
}
