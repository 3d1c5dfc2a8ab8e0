using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using HoopProxy.Core.Identity.Oidc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Tokens;

namespace HoopProxy.Benchmarks.Core.Identity;

/// <summary>
/// What OIDC token validation adds to one connection's login (issue 8's goal: under 0.2 ms), with the keys cached as
/// after the first login: <see cref="OidcTokenValidator.ValidateAsync"/> of a typical access token (iss, aud, sub,
/// email, two groups, jti, iat, nbf, exp; ~0.8 KB) signed RS256 with RSA-2048 or ES256 with P-256. The *VerifyOnly
/// methods are the bare signature check of the same token with System.Security.Cryptography, the floor under which no
/// validator can go; the difference is parsing, claim checks and the identity. Expected allocations: about 4.6 KB
/// (RS256) and 5.8 KB (ES256) per token — the library's parsed token and claim set, the identity; none of it outlives
/// the login. Figures in docs/identity.md.
/// </summary>
[MemoryDiagnoser]
public class TokenValidationBenchmarks
{
    private const string Issuer = "https://idp.example.test";
    private const string Audience = "hoopproxy";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private string _directory = null!;
    private OidcTokenValidator _validator = null!;
    private string _rsaToken = null!;
    private string _ecToken = null!;
    private byte[] _rsaSigned = null!;
    private byte[] _rsaSignature = null!;
    private byte[] _ecSigned = null!;
    private byte[] _ecSignature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "hoopproxy-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        var jwks = Path.Combine(_directory, "jwks.json");
        File.WriteAllText(jwks, new JsonObject { ["keys"] = new JsonArray(RsaJwk(), EcJwk()) }.ToJsonString());
        _validator = new OidcTokenValidator(new OidcOptions { Issuer = Issuer, Audience = Audience, JwksFile = jwks, NameClaim = "email" }, NullLogger.Instance);

        _rsaToken = Mint("RS256", "rsa-1", data => _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        _ecToken = Mint("ES256", "ec-1", data => _ec.SignData(data, HashAlgorithmName.SHA256));
        (_rsaSigned, _rsaSignature) = Split(_rsaToken);
        (_ecSigned, _ecSignature) = Split(_ecToken);

        // Measuring refusals would say nothing about the login path.
        foreach (var token in (string[])[_rsaToken, _ecToken])
        {
            var result = _validator.ValidateAsync(token).AsTask().GetAwaiter().GetResult();
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"the benchmark token is refused: {result}");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _validator.Dispose();
        _rsa.Dispose();
        _ec.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public ValueTask<TokenValidation> ValidateRs256() => _validator.ValidateAsync(_rsaToken);

    [Benchmark]
    public ValueTask<TokenValidation> ValidateEs256() => _validator.ValidateAsync(_ecToken);

    [Benchmark]
    public bool Rs256VerifyOnly() => _rsa.VerifyData(_rsaSigned, _rsaSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    [Benchmark]
    public bool Es256VerifyOnly() => _ec.VerifyData(_ecSigned, _ecSignature, HashAlgorithmName.SHA256);

    private static string Mint(string algorithm, string kid, Func<byte[], byte[]> sign)
    {
        var now = DateTimeOffset.UtcNow;
        var header = new JsonObject { ["alg"] = algorithm, ["kid"] = kid, ["typ"] = "at+jwt" };
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["sub"] = "00u-alice-0f3a",
            ["email"] = "alice@example.test",
            ["groups"] = new JsonArray("analysts", "on-call"),
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            // Long enough for any benchmark run.
            ["exp"] = now.AddDays(1).ToUnixTimeSeconds(),
        };
        var input = Base64UrlEncoder.Encode(header.ToJsonString()) + "." + Base64UrlEncoder.Encode(claims.ToJsonString());
        return input + "." + Base64UrlEncoder.Encode(sign(Encoding.ASCII.GetBytes(input)));
    }

    private static (byte[] Signed, byte[] Signature) Split(string token)
    {
        var dot = token.LastIndexOf('.');
        return (Encoding.ASCII.GetBytes(token[..dot]), Base64UrlEncoder.DecodeBytes(token[(dot + 1)..]));
    }

    private JsonObject RsaJwk()
    {
        var p = _rsa.ExportParameters(false);
        return new JsonObject { ["kty"] = "RSA", ["kid"] = "rsa-1", ["use"] = "sig", ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
    }

    private JsonObject EcJwk()
    {
        var p = _ec.ExportParameters(false);
        return new JsonObject { ["kty"] = "EC", ["kid"] = "ec-1", ["use"] = "sig", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
    }
}
