using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoopProxy.Core.Identity.Oidc;

/// <summary>
/// Validates OIDC access tokens (signed JWTs) presented as a password. One instance for the process: it caches the
/// provider's keys and is safe to call from every connection at once.
/// </summary>
/// <remarks>
/// The checks, in order (the first failure decides the reason): shape and size → <c>alg</c> on the allow-list (never
/// <c>none</c>, never HMAC) → a key for the token's <c>kid</c> (fetching the keys again once if unknown) → <c>alg</c>
/// matches the key's declared <c>alg</c> → signature → <c>exp</c> (required), <c>nbf</c> → <c>aud</c> → <c>iss</c>
/// (these three by <see cref="JsonWebTokenHandler"/>) → the name claim and <c>sub</c> → <c>iat</c> not in the future
/// and not older than <see cref="OidcOptions.MaxTokenAge"/>. Key headers that point elsewhere (<c>jku</c>, <c>x5u</c>,
/// <c>jwk</c>) are ignored: keys come only from the configured file or the issuer's discovery document.
/// </remarks>
public sealed class OidcTokenValidator : IDisposable
{
    /// <summary>Longer is refused unread. Real access tokens are 1–8 KB; large group lists are what makes them long.</summary>
    public const int MaxTokenLength = 64 * 1024;

    private readonly OidcOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SigningKeySource _keys;
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>Validation parameters built for one key set; rebuilt (and swapped whole) only when the keys change.</summary>
    private ParametersForKeys? _parameters;

    /// <param name="options">From <see cref="IdentityOptions.FromConfiguration"/>.</param>
    /// <exception cref="Configuration.ConfigurationException">The JWKS file is unreadable or has no usable key.</exception>
    public OidcTokenValidator(OidcOptions options, ILogger logger) : this(options, logger, TimeProvider.System)
    {
    }

    /// <param name="time">
    /// The clock for key refreshes and the <c>iat</c> checks, for tests. <c>exp</c> and <c>nbf</c> are checked by the
    /// library against the system clock (its TimeProvider hook is not public), so a test clock must start at the real time.
    /// </param>
    internal OidcTokenValidator(OidcOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
        _keys = options.JwksFile is { } file
            ? new JwksFileKeySource(file, logger, _time)
            : new DiscoveryKeySource(options, logger, _time);
    }

    public OidcOptions Options => _options;

    /// <summary>
    /// Loads the keys now (discovery: fetches them) so the first login does not wait for the provider; false (and an
    /// error logged) when none could be had — the proxy can start anyway and tokens are refused until they can.
    /// </summary>
    public async Task<bool> LoadKeysAsync(CancellationToken cancellationToken = default) =>
        !(await _keys.GetAsync(cancellationToken)).IsEmpty;

    /// <summary>
    /// Whether a password is shaped like a JWT (three base64url parts, the first a JSON object), so a login can tell a
    /// token from a configured user's password without trying to validate every password as a token.
    /// </summary>
    public static bool LooksLikeToken(ReadOnlySpan<char> password)
    {
        if (password.Length is < 16 or > MaxTokenLength || !password.StartsWith("eyJ", StringComparison.Ordinal))
        {
            return false;
        }

        var dots = 0;
        foreach (var c in password)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        return dots == 2;
    }

    /// <summary>Validates <paramref name="token"/>; never throws for a bad token (only for cancellation).</summary>
    public async ValueTask<TokenValidation> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        if (token.Length is 0 or > MaxTokenLength)
        {
            return Refuse(TokenRejection.Malformed, "the token is empty or too long", $"{token.Length} characters");
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or FormatException or System.Text.Json.JsonException)
        {
            return Refuse(TokenRejection.Malformed, "the token is not a JWT", e.GetType().Name);
        }

        if (jwt.IsEncrypted)
        {
            return Refuse(TokenRejection.Malformed, "encrypted tokens are not accepted", "JWE");
        }

        // Before any key is looked at: 'none' and HMAC never reach the library, whatever the keys are, and even when
        // options built in code list them (the configuration reader refuses them).
        var algorithm = jwt.Alg ?? "";
        if (!_options.Algorithms.Contains(algorithm) || !OidcOptions.SupportedAlgorithms.Contains(algorithm))
        {
            return Refuse(TokenRejection.AlgorithmNotAllowed, $"the token's signing algorithm '{Printable(algorithm)}' is not accepted", "allow-list");
        }

        var keys = await _keys.GetAsync(cancellationToken);
        var kid = jwt.Kid ?? "";
        if (!keys.Covers(kid) && !keys.IsEmpty)
        {
            keys = await _keys.RefreshForUnknownKeyAsync(cancellationToken);
        }

        if (keys.IsEmpty)
        {
            return Refuse(TokenRejection.KeysUnavailable, "the identity provider's signing keys are not available; try again later", "no keys");
        }

        if (!keys.Covers(kid))
        {
            return Refuse(TokenRejection.UnknownSigningKey, $"the token is signed with an unknown key (kid '{Printable(kid)}')", keys.Source);
        }

        // RFC 7517 §4.4: a key that declares its algorithm is only for that one (an RS256 key is not for PS256).
        if (kid.Length > 0 && keys.TryFind(kid, out var namedKey) && !string.IsNullOrEmpty(namedKey.Alg) && namedKey.Alg != algorithm)
        {
            return Refuse(TokenRejection.AlgorithmNotAllowed, $"the token's signing algorithm '{Printable(algorithm)}' is not the one its key is for", namedKey.Alg);
        }

        var result = await _handler.ValidateTokenAsync(jwt, ParametersFor(keys));
        if (!result.IsValid)
        {
            return Refuse(result.Exception, jwt);
        }

        return ReadIdentity(jwt, token, keys);
    }

    private TokenValidation ReadIdentity(JsonWebToken jwt, string token, SigningKeySet keys)
    {
        if (!TryGetString(jwt, _options.NameClaim, out var name))
        {
            return Refuse(TokenRejection.MissingClaim, $"the token has no '{_options.NameClaim}' claim, which names the user here", "name claim");
        }

        if (!TryGetString(jwt, JwtRegisteredClaimNames.Sub, out var subject))
        {
            return Refuse(TokenRejection.MissingClaim, "the token has no 'sub' claim", "sub");
        }

        var now = _time.GetUtcNow();
        var expiresAt = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        DateTimeOffset? issuedAt = jwt.IssuedAt == DateTime.MinValue ? null : new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero);
        if (issuedAt > now + _options.ClockSkew)
        {
            return Refuse(TokenRejection.NotYetValid, $"the token was issued in the future ({Utc(issuedAt.Value)}); check the clocks", "iat");
        }

        var endsAt = expiresAt;
        if (_options.MaxTokenAge is { } maxAge)
        {
            if (issuedAt is null)
            {
                return Refuse(TokenRejection.TooOld, "the token has no 'iat' claim, so its age cannot be checked", "iat");
            }

            if (now - issuedAt.Value > maxAge + _options.ClockSkew)
            {
                return Refuse(TokenRejection.TooOld, $"the token was issued at {Utc(issuedAt.Value)}, more than {maxAge.ToString("c", CultureInfo.InvariantCulture)} ago; get a new one", "MaxTokenAge");
            }

            endsAt = issuedAt.Value + maxAge < endsAt ? issuedAt.Value + maxAge : endsAt;
        }

        return TokenValidation.Success(new TokenIdentity
        {
            Name = name,
            Groups = ReadGroups(jwt, _options.GroupsClaim),
            Subject = subject,
            Issuer = jwt.Issuer,
            TokenId = string.IsNullOrEmpty(jwt.Id) ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token))) : jwt.Id,
            ExpiresAt = expiresAt,
            IssuedAt = issuedAt,
            SessionEndsAt = endsAt + _options.ExpiryGrace,
            SigningKeyId = string.IsNullOrEmpty(jwt.Kid) ? null : jwt.Kid,
            SigningKeyFingerprint = keys.FingerprintOf(jwt.SigningKey),
        });
    }

    private TokenValidationParameters ParametersFor(SigningKeySet keys)
    {
        var cached = Volatile.Read(ref _parameters);
        if (cached?.Keys == keys)
        {
            return cached.Parameters;
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            RequireAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = _options.ClockSkew,
            RequireSignedTokens = true,
            ValidAlgorithms = _options.Algorithms,
            IssuerSigningKeys = keys.All,
            // The library's own event-source logging is off: refusals are logged here, and nothing of the token is kept.
            LogValidationExceptions = false,
            LogTokenId = false,
            SaveSigninToken = false,
        };
        Volatile.Write(ref _parameters, new ParametersForKeys(keys, parameters));
        return parameters;
    }

    private TokenValidation Refuse(Exception? failure, JsonWebToken jwt)
    {
        var (rejection, reason) = failure switch
        {
            SecurityTokenExpiredException => (TokenRejection.Expired, $"the token expired at {Utc(jwt.ValidTo)}"),
            SecurityTokenNotYetValidException => (TokenRejection.NotYetValid, $"the token is not valid before {Utc(jwt.ValidFrom)}"),
            SecurityTokenNoExpirationException => (TokenRejection.MissingClaim, "the token has no 'exp' claim"),
            SecurityTokenInvalidLifetimeException => (TokenRejection.Malformed, "the token's 'nbf' is after its 'exp'"),
            SecurityTokenInvalidAudienceException => (TokenRejection.WrongAudience, "the token is not meant for this proxy (wrong audience)"),
            SecurityTokenInvalidIssuerException => (TokenRejection.WrongIssuer, "the token was not issued by the identity provider this proxy trusts (wrong issuer)"),
            // Before InvalidSignature: both derive from it. Without a kid, "no key found" means no key verifies it, and a
            // token whose kid is unknown never gets this far (checked above).
            SecurityTokenSignatureKeyNotFoundException when string.IsNullOrEmpty(jwt.Kid) => (TokenRejection.BadSignature, "the token's signature is not valid"),
            SecurityTokenSignatureKeyNotFoundException => (TokenRejection.UnknownSigningKey, "the token is signed with an unknown key"),
            SecurityTokenInvalidAlgorithmException => (TokenRejection.AlgorithmNotAllowed, "the token's signing algorithm is not accepted"),
            SecurityTokenInvalidSignatureException => (TokenRejection.BadSignature, "the token's signature is not valid"),
            SecurityTokenMalformedException or ArgumentException => (TokenRejection.Malformed, "the token is not a valid JWT"),
            _ => (TokenRejection.Malformed, "the token was refused"),
        };
        return Refuse(rejection, reason, failure is null ? "no exception" : $"{failure.GetType().Name}: {failure.Message}");
    }

    private TokenValidation Refuse(TokenRejection rejection, string reason, string detail)
    {
        OidcLog.TokenRefused(_logger, rejection, reason, detail);
        return TokenValidation.Refused(rejection, reason);
    }

    /// <summary>A claim that is one string (or number), not an array or object.</summary>
    private static bool TryGetString(JsonWebToken jwt, string claim, out string value)
    {
        value = "";
        if (!TryGetScalar(jwt, claim, out var text, out _) || string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        value = text;
        return true;
    }

    /// <summary>
    /// An array of strings (Okta, Keycloak, Entra ID) is taken as it is, names with spaces included; one string is
    /// split at spaces and commas (providers that put groups in a <c>scope</c>-like string).
    /// </summary>
    private static IReadOnlyList<string> ReadGroups(JsonWebToken jwt, string claim)
    {
        if (TryGetScalar(jwt, claim, out var text, out var elements))
        {
            return text.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        return elements.Where(e => !string.IsNullOrWhiteSpace(e)).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// JsonWebToken gives an array claim read as a string as its JSON text, and a string claim read as an array as one
    /// element; a claim is a single value exactly when both readings agree.
    /// </summary>
    private static bool TryGetScalar(JsonWebToken jwt, string claim, out string text, out string[] elements)
    {
        text = "";
        elements = [];
        if (!jwt.TryGetPayloadValue<string[]>(claim, out var array) || array is null)
        {
            return false;
        }

        elements = array;
        if (!jwt.TryGetPayloadValue<string>(claim, out var single) || single is null || array.Length != 1 || array[0] != single)
        {
            return false;
        }

        text = single;
        return true;
    }

    private static string Utc(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Utc(DateTimeOffset time) => Utc(time.UtcDateTime);

    /// <summary>Header values come from the client; only a short printable form goes back into a message or log.</summary>
    private static string Printable(string value)
    {
        var shown = value.Length > 40 ? value[..40] + "…" : value;
        return string.Concat(shown.Select(c => char.IsControl(c) ? '?' : c));
    }

    public void Dispose() => _keys.Dispose();

    private sealed record ParametersForKeys(SigningKeySet Keys, TokenValidationParameters Parameters);
}
