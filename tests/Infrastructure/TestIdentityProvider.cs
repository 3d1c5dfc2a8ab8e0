using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HoopProxy.Core.Identity.Oidc;
using Microsoft.IdentityModel.Tokens;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// An OpenID Connect provider inside the tests: RSA and EC P-256 keys generated per instance, a JWKS file, a loopback
/// discovery endpoint (<c>/.well-known/openid-configuration</c> → <c>jwks_uri</c> <c>/jwks</c>) and tokens minted per
/// test with whatever claims, times, <c>kid</c> and <c>alg</c> the test wants, forgeries included. Tokens are signed
/// here with System.Security.Cryptography, not with the library under test.
/// </summary>
public sealed class TestIdentityProvider : IDisposable
{
    public const string Audience = "hoopproxy";
    public const string UserEmail = "alice@example.test";
    public const string UserSubject = "00u-alice-0f3a";

    private readonly HttpListener _listener;
    private readonly Task _serving;
    private readonly Lock _gate = new();
    private readonly List<TestSigningKey> _published = [];
    private readonly List<TestSigningKey> _created = [];
    private int _discoveryRequests;
    private int _jwksRequests;

    private TestIdentityProvider(HttpListener listener, int port)
    {
        _listener = listener;
        Issuer = $"http://127.0.0.1:{port}";
        Root = Path.Combine(Path.GetTempPath(), "hoopproxy-idp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
        Rsa = NewKey(TestKeyType.Rsa, "rsa-1");
        Ec = NewKey(TestKeyType.EcP256, "ec-1");
        _serving = ServeAsync();
    }

    /// <summary>Starts the discovery endpoint on a free loopback port.</summary>
    public static TestIdentityProvider Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new TestIdentityProvider(listener, port);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Another test took the port between probing and binding; take another.
                listener.Close();
            }
        }
    }

    /// <summary><c>http://127.0.0.1:PORT</c>, the <c>iss</c> of every token minted here.</summary>
    public string Issuer { get; }

    /// <summary>A temporary directory for the JWKS file and whatever else a test writes; removed on dispose.</summary>
    public string Root { get; }

    /// <summary>Published from the start, kid <c>rsa-1</c>, signs RS256 unless told otherwise.</summary>
    public TestSigningKey Rsa { get; }

    /// <summary>Published from the start, kid <c>ec-1</c>, P-256, signs ES256.</summary>
    public TestSigningKey Ec { get; }

    public int DiscoveryRequests => Volatile.Read(ref _discoveryRequests);
    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    /// <summary>When false the endpoint answers 503, as a provider that is down.</summary>
    public bool Available { get; set; } = true;

    /// <summary>The <c>issuer</c> the discovery document states; the real one unless a test wants a mismatch.</summary>
    public string? DiscoveryIssuer { get; set; }

    public string JwksUri => Issuer + "/jwks";

    /// <summary>Options that read the keys from <paramref name="jwksFile"/> (offline).</summary>
    public OidcOptions FileOptions(string jwksFile) => new() { Issuer = Issuer, Audience = Audience, JwksFile = jwksFile, NameClaim = "email" };

    /// <summary>Options that fetch the keys through this provider's discovery document.</summary>
    public OidcOptions DiscoveryOptions() => new() { Issuer = Issuer, Audience = Audience, NameClaim = "email" };

    /// <summary>A new key pair; published in the JWKS (file written afterwards, and the endpoint) when <paramref name="publish"/>.</summary>
    public TestSigningKey NewKey(TestKeyType type, string kid, bool publish = true, string? declaredAlgorithm = null)
    {
        var key = new TestSigningKey(type, kid, declaredAlgorithm);
        lock (_gate)
        {
            _created.Add(key);
        }

        if (publish)
        {
            Publish(key);
        }

        return key;
    }

    public void Publish(TestSigningKey key)
    {
        lock (_gate)
        {
            _published.Add(key);
        }
    }

    public void Unpublish(TestSigningKey key)
    {
        lock (_gate)
        {
            _published.Remove(key);
        }
    }

    public string JwksJson()
    {
        lock (_gate)
        {
            return new JsonObject { ["keys"] = new JsonArray([.. _published.Select(k => (JsonNode)k.PublicJwk())]) }.ToJsonString();
        }
    }

    /// <summary>Writes the published keys as a JWKS file (atomically, by rename) and returns its path.</summary>
    public string WriteJwksFile(string name = "jwks.json")
    {
        var path = Path.Combine(Root, name);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JwksJson());
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// The claims of a valid token for alice: iss, aud, sub, email, groups, jti, iat = nbf = now, exp = now + 1 h.
    /// Tests change or remove claims through <c>edit</c>.
    /// </summary>
    public JsonObject DefaultClaims(DateTimeOffset? now = null)
    {
        var at = now ?? DateTimeOffset.UtcNow;
        return new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["sub"] = UserSubject,
            ["email"] = UserEmail,
            ["groups"] = new JsonArray("analysts", "on-call"),
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = Unix(at),
            ["nbf"] = Unix(at),
            ["exp"] = Unix(at.AddHours(1)),
        };
    }

    /// <summary>A token signed by <paramref name="key"/> with its default algorithm and kid; <paramref name="edit"/> changes claims, <paramref name="editHeader"/> the header.</summary>
    public string Mint(TestSigningKey key, Action<JsonObject>? edit = null, Action<JsonObject>? editHeader = null)
    {
        var claims = DefaultClaims();
        edit?.Invoke(claims);
        var header = new JsonObject { ["alg"] = key.DefaultAlgorithm, ["kid"] = key.Kid, ["typ"] = "at+jwt" };
        editHeader?.Invoke(header);
        return key.Sign(header, claims);
    }

    /// <summary>An unsigned token, <c>alg: none</c>: header and payload, and an empty signature.</summary>
    public string MintUnsigned(Action<JsonObject>? edit = null)
    {
        var claims = DefaultClaims();
        edit?.Invoke(claims);
        return SigningInput(new JsonObject { ["alg"] = "none", ["typ"] = "JWT" }, claims) + ".";
    }

    /// <summary>
    /// The classic key-confusion forgery: <c>alg: HS256</c> with the provider's RSA public key (its PEM text, as an
    /// attacker downloads it) as the HMAC secret. A validator that lets the token choose the algorithm accepts it.
    /// </summary>
    public string MintHmacWithPublicKey(TestSigningKey key)
    {
        var header = new JsonObject { ["alg"] = "HS256", ["kid"] = key.Kid, ["typ"] = "JWT" };
        var input = SigningInput(header, DefaultClaims());
        var secret = Encoding.ASCII.GetBytes(key.PublicKeyPem());
        return input + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));
    }

    internal static string SigningInput(JsonObject header, JsonObject claims) =>
        Base64UrlEncoder.Encode(header.ToJsonString()) + "." + Base64UrlEncoder.Encode(claims.ToJsonString());

    public static long Unix(DateTimeOffset time) => time.ToUnixTimeSeconds();

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var response = context.Response;
            var path = context.Request.Url?.AbsolutePath ?? "";
            string? body = null;
            if (!Available)
            {
                response.StatusCode = 503;
            }
            else if (path == "/.well-known/openid-configuration")
            {
                Interlocked.Increment(ref _discoveryRequests);
                body = new JsonObject
                {
                    ["issuer"] = DiscoveryIssuer ?? Issuer,
                    ["jwks_uri"] = JwksUri,
                    ["authorization_endpoint"] = Issuer + "/authorize",
                    ["token_endpoint"] = Issuer + "/token",
                    ["id_token_signing_alg_values_supported"] = new JsonArray("RS256", "ES256"),
                }.ToJsonString();
            }
            else if (path == "/jwks")
            {
                Interlocked.Increment(ref _jwksRequests);
                body = JwksJson();
            }
            else
            {
                response.StatusCode = 404;
            }

            if (body is not null)
            {
                var bytes = Encoding.UTF8.GetBytes(body);
                response.ContentType = "application/json";
                response.ContentLength64 = bytes.Length;
                await response.OutputStream.WriteAsync(bytes);
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
        lock (_gate)
        {
            foreach (var key in _created)
            {
                key.Dispose();
            }
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public enum TestKeyType
{
    Rsa,
    EcP256,
}

/// <summary>One key pair of the test provider, able to sign JWTs with any algorithm its type allows.</summary>
public sealed class TestSigningKey : IDisposable
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;

    internal TestSigningKey(TestKeyType type, string kid, string? declaredAlgorithm)
    {
        Type = type;
        Kid = kid;
        DeclaredAlgorithm = declaredAlgorithm;
        if (type == TestKeyType.Rsa)
        {
            _rsa = RSA.Create(2048);
        }
        else
        {
            _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        }
    }

    /// <summary>A key pair no provider published: a stranger's, or an attacker's. The caller disposes it.</summary>
    public static TestSigningKey Unpublished(TestKeyType type, string kid) => new(type, kid, declaredAlgorithm: null);

    public TestKeyType Type { get; }
    public string Kid { get; }

    /// <summary>The JWK's <c>alg</c>; null: the JWK declares none (as most providers publish them).</summary>
    public string? DeclaredAlgorithm { get; }

    public string DefaultAlgorithm => DeclaredAlgorithm ?? (Type == TestKeyType.Rsa ? "RS256" : "ES256");

    public JsonObject PublicJwk()
    {
        var jwk = new JsonObject { ["kid"] = Kid, ["use"] = "sig" };
        if (DeclaredAlgorithm is not null)
        {
            jwk["alg"] = DeclaredAlgorithm;
        }

        if (_rsa is not null)
        {
            var p = _rsa.ExportParameters(false);
            jwk["kty"] = "RSA";
            jwk["n"] = Base64UrlEncoder.Encode(p.Modulus);
            jwk["e"] = Base64UrlEncoder.Encode(p.Exponent);
        }
        else
        {
            var p = _ec!.ExportParameters(false);
            jwk["kty"] = "EC";
            jwk["crv"] = "P-256";
            jwk["x"] = Base64UrlEncoder.Encode(p.Q.X);
            jwk["y"] = Base64UrlEncoder.Encode(p.Q.Y);
        }

        return jwk;
    }

    public string PublicKeyPem() => _rsa?.ExportSubjectPublicKeyInfoPem() ?? _ec!.ExportSubjectPublicKeyInfoPem();

    /// <summary>The RFC 7638 thumbprint as the validator reports it (<c>jwk:</c> base64url).</summary>
    public string Fingerprint => "jwk:" + Base64UrlEncoder.Encode(new JsonWebKey(PublicJwk().ToJsonString()).ComputeJwkThumbprint());

    /// <summary>Signs with the header's <c>alg</c> (RS*/PS* with an RSA key, ES256 with the EC key).</summary>
    public string Sign(JsonObject header, JsonObject claims)
    {
        var input = TestIdentityProvider.SigningInput(header, claims);
        var data = Encoding.ASCII.GetBytes(input);
        var algorithm = header["alg"]!.GetValue<string>();
        var hash = algorithm[2..] switch
        {
            "256" => HashAlgorithmName.SHA256,
            "384" => HashAlgorithmName.SHA384,
            "512" => HashAlgorithmName.SHA512,
            _ => throw new ArgumentException($"cannot sign {algorithm}"),
        };
        var signature = algorithm[..2] switch
        {
            "RS" => _rsa!.SignData(data, hash, RSASignaturePadding.Pkcs1),
            "PS" => _rsa!.SignData(data, hash, RSASignaturePadding.Pss),
            // JWS (RFC 7518 §3.4) wants r‖s, which is what SignData gives by default (IEEE P1363).
            "ES" => _ec!.SignData(data, hash),
            _ => throw new ArgumentException($"cannot sign {algorithm}"),
        };
        return input + "." + Base64UrlEncoder.Encode(signature);
    }

    public void Dispose()
    {
        _rsa?.Dispose();
        _ec?.Dispose();
    }
}
