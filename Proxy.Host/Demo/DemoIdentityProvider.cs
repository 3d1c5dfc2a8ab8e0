using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HoopProxy.Host.Demo;

/// <summary>
/// The demo's own OpenID Connect provider, offline: an RSA key published in a JWKS file the proxy trusts, and one
/// access token minted for a contractor, so the demo shows token logins and revocation without a real provider.
/// </summary>
internal sealed record DemoIdentityProvider(string Issuer, string JwksFile, string RevocationsFile, string TokenFile, string TokenId, string UserName,
    DateTimeOffset ExpiresAt)
{
    public const string Audience = "hoopproxy";

    /// <summary>Writes <c>jwks.json</c>, an empty <c>revoked.json</c> and <c>carol.token</c> into <paramref name="folder"/>.</summary>
    public static async Task<DemoIdentityProvider> CreateAsync(string folder, CancellationToken cancellationToken)
    {
        const string issuer = "https://idp.demo.invalid";
        const string user = "carol@example.test";
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: true)) { KeyId = "demo-rsa-1" };
        var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = key.KeyId });
        var jwks = new { keys = new[] { new { kty = publicJwk.Kty, use = "sig", alg = "RS256", kid = publicJwk.Kid, n = publicJwk.N, e = publicJwk.E } } };
        var jwksFile = Path.Combine(folder, "jwks.json");
        await File.WriteAllTextAsync(jwksFile, JsonSerializer.Serialize(jwks), cancellationToken);
        var revocationsFile = Path.Combine(folder, "revoked.json");
        await File.WriteAllTextAsync(revocationsFile, "{}\n", cancellationToken);

        var now = DateTimeOffset.UtcNow;
        var expiresAt = now.AddHours(8);
        var tokenId = Guid.NewGuid().ToString();
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "00u-carol-demo",
                ["email"] = user,
                ["groups"] = new[] { "contractors" },
                ["jti"] = tokenId,
            },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
        var tokenFile = Path.Combine(folder, "carol.token");
        await File.WriteAllTextAsync(tokenFile, token, cancellationToken);
        return new DemoIdentityProvider(issuer, jwksFile, revocationsFile, tokenFile, tokenId, user, expiresAt);
    }

    /// <summary>The configuration's <c>Identity</c> section for this provider.</summary>
    public object Configuration => new
    {
        Oidc = new { Issuer, Audience, JwksFile = Path.GetFileName(JwksFile), NameClaim = "email", GroupsClaim = "groups" },
        MaxTokenAge = "12:00:00",
        RevocationsFile = Path.GetFileName(RevocationsFile),
    };
}
