using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Core.Identity.Sessions;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// The proxy's identity services as `serve` builds them, around a <see cref="TestIdentityProvider"/>: a JWKS file, a
/// revocation file the test edits as an operator would (written to a temporary file and renamed over), the validator,
/// the list and the guardian.
/// </summary>
public sealed class TestIdentityServices : IDisposable
{
    private readonly List<string> _revokedTokenIds = [];
    private readonly List<string> _revokedKeys = [];
    private readonly List<string> _revokedUsers = [];

    private TestIdentityServices(TestIdentityProvider provider, string revocationsFile, IdentityServices services)
    {
        Provider = provider;
        RevocationsFile = revocationsFile;
        Services = services;
    }

    public TestIdentityProvider Provider { get; }

    public string RevocationsFile { get; }

    public IdentityServices Services { get; }

    /// <param name="configure">Changes the OIDC options (MaxTokenAge, ClockSkew, ExpiryGrace) before the validator starts.</param>
    /// <param name="discovery">Keys from the provider's loopback discovery endpoint instead of a JWKS file.</param>
    public static async Task<TestIdentityServices> StartAsync(Func<OidcOptions, OidcOptions>? configure = null, AuditLog? audit = null, bool discovery = false)
    {
        var provider = TestIdentityProvider.Start();
        var options = (discovery ? provider.DiscoveryOptions() : provider.FileOptions(provider.WriteJwksFile())) with { GroupsClaim = "groups" };
        options = configure?.Invoke(options) ?? options;
        var revocationsFile = Path.Combine(provider.Root, "revoked.json");
        await File.WriteAllTextAsync(revocationsFile, "{}");
        var validator = new OidcTokenValidator(options, NullLogger.Instance);
        await validator.LoadKeysAsync();
        var revocations = RevocationList.Open(revocationsFile, NullLogger.Instance);
        var services = new IdentityServices(validator, revocations, new SessionGuardian(revocations, NullLogger.Instance, audit), ownsRevocations: true);
        return new TestIdentityServices(provider, revocationsFile, services);
    }

    /// <summary>A valid RS256 token for alice@example.test (groups analysts, on-call); <paramref name="edit"/> changes its claims.</summary>
    public string Mint(Action<JsonObject>? edit = null) => Provider.Mint(Provider.Rsa, edit);

    /// <summary>The token's <c>jti</c>, as the revocation file lists it.</summary>
    public static string TokenIdOf(string token)
    {
        var payload = token.Split('.')[1];
        var json = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(payload))!;
        return json["jti"]!.GetValue<string>();
    }

    public Task RevokeTokenAsync(string tokenId) => RewriteAsync(() => _revokedTokenIds.Add(tokenId));

    public Task RevokeKeyAsync(string fingerprint) => RewriteAsync(() => _revokedKeys.Add(fingerprint));

    public Task RevokeUserAsync(string user) => RewriteAsync(() => _revokedUsers.Add(user));

    /// <summary>As an operator's script would: the whole list to a temporary file, renamed over the old one.</summary>
    private async Task RewriteAsync(Action change)
    {
        change();
        var list = new JsonObject
        {
            ["tokenIds"] = new JsonArray([.. _revokedTokenIds.Select(v => JsonValue.Create(v))]),
            ["keyFingerprints"] = new JsonArray([.. _revokedKeys.Select(v => JsonValue.Create(v))]),
            ["users"] = new JsonArray([.. _revokedUsers.Select(v => JsonValue.Create(v))]),
        };
        var temporary = RevocationsFile + ".tmp";
        await File.WriteAllTextAsync(temporary, list.ToJsonString());
        File.Move(temporary, RevocationsFile, overwrite: true);
    }

    public void Dispose()
    {
        Services.Dispose();
        Provider.Dispose();
    }
}
