using System.Collections.Frozen;
using Microsoft.IdentityModel.Tokens;

namespace HoopProxy.Core.Identity.Oidc;

/// <summary>
/// The provider's verification keys at one moment: an immutable snapshot, swapped whole when the keys are fetched
/// again, so a validation in flight never sees half a key set.
/// </summary>
internal sealed class SigningKeySet
{
    public static readonly SigningKeySet Empty = new([], [], "nothing loaded yet", DateTimeOffset.MinValue);

    private readonly FrozenDictionary<string, JsonWebKey> _byId;
    private readonly Dictionary<SecurityKey, string> _fingerprints;

    private SigningKeySet(IReadOnlyList<JsonWebKey> keys, IReadOnlyList<string> skipped, string source, DateTimeOffset loadedAt)
    {
        All = keys;
        Skipped = skipped;
        Source = source;
        LoadedAt = loadedAt;
        _byId = keys.Where(k => !string.IsNullOrEmpty(k.Kid)).DistinctBy(k => k.Kid, StringComparer.Ordinal).ToFrozenDictionary(k => k.Kid, StringComparer.Ordinal);
        HasKeysWithoutId = keys.Any(k => string.IsNullOrEmpty(k.Kid));
        // Computed once per key: the thumbprint is what a revocation entry names, and hashing per login would cost for nothing.
        _fingerprints = keys.ToDictionary<JsonWebKey, SecurityKey, string>(k => k, k => "jwk:" + Base64UrlEncoder.Encode(k.ComputeJwkThumbprint()), (IEqualityComparer<SecurityKey>)ReferenceEqualityComparer.Instance);
    }

    public IReadOnlyList<JsonWebKey> All { get; }

    /// <summary>Keys in the document that are not used: encryption keys, symmetric keys, unsupported types; for the log.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>Where the keys came from (file path or JWKS URL), for the log.</summary>
    public string Source { get; }

    public DateTimeOffset LoadedAt { get; }

    public bool IsEmpty => All.Count == 0;

    /// <summary>A key without <c>kid</c> may have signed any token, so a token's unknown kid does not rule it out.</summary>
    public bool HasKeysWithoutId { get; }

    public bool TryFind(string kid, out JsonWebKey key) => _byId.TryGetValue(kid, out key!);

    /// <summary>Whether this set could verify a token naming <paramref name="kid"/> (empty: the token names none).</summary>
    public bool Covers(string kid) => kid.Length == 0 ? !IsEmpty : _byId.ContainsKey(kid) || HasKeysWithoutId;

    public string FingerprintOf(SecurityKey key) =>
        _fingerprints.TryGetValue(key, out var fingerprint) ? fingerprint
        : key is JsonWebKey jwk ? "jwk:" + Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint())
        : "jwk:unknown";

    public string Describe() =>
        $"{All.Count} keys ({string.Join(", ", All.Select(k => $"{(string.IsNullOrEmpty(k.Kid) ? "no kid" : k.Kid)} {k.Kty}"))})"
        + (Skipped.Count == 0 ? "" : $", ignored: {string.Join("; ", Skipped)}");

    /// <summary>
    /// Keeps the keys meant for signatures (<c>use</c> absent or <c>sig</c>) of the asymmetric types (<c>RSA</c>,
    /// <c>EC</c>). An <c>oct</c> key never enters: it would be an HMAC secret, and HMAC is never accepted.
    /// </summary>
    public static SigningKeySet From(JsonWebKeySet document, string source, DateTimeOffset loadedAt)
    {
        var keys = new List<JsonWebKey>();
        var skipped = new List<string>();
        foreach (var key in document.Keys)
        {
            var name = string.IsNullOrEmpty(key.Kid) ? "(no kid)" : key.Kid;
            if (!string.IsNullOrEmpty(key.Use) && key.Use != JsonWebKeyUseNames.Sig)
            {
                skipped.Add($"{name}: use is '{key.Use}'");
            }
            else if (key.Kty == JsonWebAlgorithmsKeyTypes.RSA && !string.IsNullOrEmpty(key.N) && !string.IsNullOrEmpty(key.E))
            {
                keys.Add(key);
            }
            else if (key.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve && !string.IsNullOrEmpty(key.Crv) && !string.IsNullOrEmpty(key.X) && !string.IsNullOrEmpty(key.Y))
            {
                keys.Add(key);
            }
            else
            {
                skipped.Add($"{name}: key type '{key.Kty}' is not RSA or EC, or its public parts are missing");
            }
        }

        return new SigningKeySet(keys, skipped, source, loadedAt);
    }
}
