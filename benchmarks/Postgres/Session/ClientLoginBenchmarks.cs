using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Core.Identity.Sessions;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Session;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.Tokens;

namespace HoopProxy.Benchmarks.Postgres.Session;

/// <summary>
/// The proxy's side of one PostgreSQL login inside TLS, from the AuthenticationCleartextPassword request to the
/// identity, and the session's registration with the guardian: a configured user's password (fixed-time hash
/// comparison) against an RS256 or ES256 access token (validation, revocation list, name check, and a guardian watch
/// with an expiry timer). The difference is what a token adds to a connection on the proxy's CPU, without the noise
/// of TLS, the network and pgbench that <c>benchmarks/e2e/connect.sh</c> measures around it (issue 8's goal: under
/// 0.2 ms). In-memory pipes; each operation writes the client's password message and reads the proxy's request.
/// Expected allocations: about 2 KB for the password (pipes, the login), plus the validation's ~5 KB for a token.
/// </summary>
[MemoryDiagnoser]
public class ClientLoginBenchmarks
{
    private const string Issuer = "https://idp.example.test";
    private const string TokenUser = "alice@example.test";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private string _directory = null!;
    private IdentityServices _identity = null!;
    private ClientAuthenticator _authenticator = null!;
    private byte[] _passwordMessage = null!;
    private byte[] _rsaTokenMessage = null!;
    private byte[] _ecTokenMessage = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "hoopproxy-bench-login-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        var jwks = Path.Combine(_directory, "jwks.json");
        File.WriteAllText(jwks, new JsonObject { ["keys"] = new JsonArray(Jwk(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = "rsa-1" }),
            Jwk(new ECDsaSecurityKey(ECDsa.Create(_ec.ExportParameters(false))) { KeyId = "ec-1" })) }.ToJsonString());
        var validator = new OidcTokenValidator(new OidcOptions { Issuer = Issuer, Audience = "hoopproxy", JwksFile = jwks, NameClaim = "email" }, NullLogger.Instance);
        _identity = new IdentityServices(validator, RevocationList.None, new SessionGuardian(RevocationList.None, NullLogger.Instance));
        _authenticator = new ClientAuthenticator(new UserDirectory([new ProxyUser("bob", "bob-password-12345", ["engineers"])]),
            ClientAuthenticationMethod.Cleartext, _identity);
        _passwordMessage = PasswordMessage("bob-password-12345");
        _rsaTokenMessage = PasswordMessage(Mint("RS256", "rsa-1", data => _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));
        _ecTokenMessage = PasswordMessage(Mint("ES256", "ec-1", data => _ec.SignData(data, HashAlgorithmName.SHA256)));

        // Measuring refusals would say nothing about the login path.
        foreach (var (user, message) in new[] { ("bob", _passwordMessage), (TokenUser, _rsaTokenMessage), (TokenUser, _ecTokenMessage) })
        {
            if (LoginAsync(user, message).GetAwaiter().GetResult() is not { } login || login.User.Name != user)
            {
                throw new InvalidOperationException($"the benchmark login of {user} failed");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _identity.Dispose();
        _rsa.Dispose();
        _ec.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<ClientLogin> ConfiguredPassword() => LoginAsync("bob", _passwordMessage);

    [Benchmark]
    public Task<ClientLogin> Rs256Token() => LoginAsync(TokenUser, _rsaTokenMessage);

    [Benchmark]
    public Task<ClientLogin> Es256Token() => LoginAsync(TokenUser, _ecTokenMessage);

    private async Task<ClientLogin> LoginAsync(string user, byte[] passwordMessage)
    {
        var toProxy = new Pipe();
        var toClient = new Pipe();
        await toProxy.Writer.WriteAsync(passwordMessage);
        var login = await _authenticator.AuthenticateAsync(new Duplex(toProxy.Reader, toClient.Writer), user, isTls: true, CancellationToken.None);
        // What the session does next with the credential: watched for revocation and, for a token, its expiry.
        using (var termination = new SessionTermination())
        using (_identity.Guardian.Watch(login.Credential, termination))
        {
        }

        var request = await toClient.Reader.ReadAsync();
        toClient.Reader.AdvanceTo(request.Buffer.End);
        return login;
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private static byte[] PasswordMessage(string password)
    {
        var text = Encoding.UTF8.GetBytes(password);
        var message = new byte[1 + 4 + text.Length + 1];
        message[0] = (byte)'p';
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + text.Length + 1);
        text.CopyTo(message.AsSpan(5));
        return message;
    }

    private static JsonObject Jwk(AsymmetricSecurityKey key)
    {
        var jwk = key is RsaSecurityKey rsa ? JsonWebKeyConverter.ConvertFromRSASecurityKey(rsa) : JsonWebKeyConverter.ConvertFromECDsaSecurityKey((ECDsaSecurityKey)key);
        var json = new JsonObject { ["kty"] = jwk.Kty, ["kid"] = jwk.Kid, ["use"] = "sig" };
        if (jwk.Kty == "RSA")
        {
            json["n"] = jwk.N;
            json["e"] = jwk.E;
        }
        else
        {
            json["crv"] = jwk.Crv;
            json["x"] = jwk.X;
            json["y"] = jwk.Y;
        }

        return json;
    }

    private static string Mint(string algorithm, string kid, Func<byte[], byte[]> sign)
    {
        var now = DateTimeOffset.UtcNow;
        var header = new JsonObject { ["alg"] = algorithm, ["kid"] = kid, ["typ"] = "at+jwt" };
        var claims = new JsonObject
        {
            ["iss"] = Issuer, ["aud"] = "hoopproxy", ["sub"] = "00u-alice", ["email"] = TokenUser, ["groups"] = new JsonArray("analysts", "on-call"),
            ["jti"] = Guid.NewGuid().ToString("N"), ["iat"] = now.ToUnixTimeSeconds(), ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddDays(7).ToUnixTimeSeconds(),
        };
        var input = Base64UrlEncoder.Encode(header.ToJsonString()) + "." + Base64UrlEncoder.Encode(claims.ToJsonString());
        return input + "." + Base64UrlEncoder.Encode(sign(Encoding.ASCII.GetBytes(input)));
    }
}
