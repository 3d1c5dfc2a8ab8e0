using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Identity.Oidc;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Identity;

public sealed class IdentityOptionsTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "hoopproxy-identity-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        File.WriteAllText(Path.Combine(_root, "jwks.json"), "{ \"keys\": [] }");
        File.WriteAllText(Path.Combine(_root, "revoked.json"), "{}");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private IdentityOptions? Read(Dictionary<string, string?> values) =>
        IdentityOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Identity"), _root);

    private static Dictionary<string, string?> Minimal(params (string Key, string? Value)[] more)
    {
        var values = new Dictionary<string, string?>
        {
            ["Identity:Oidc:Issuer"] = "https://idp.example.test",
            ["Identity:Oidc:Audience"] = "hoopproxy",
        };
        foreach (var (key, value) in more)
        {
            values[key] = value;
        }

        return values;
    }

    [Test]
    public void The_issue_s_example_is_read_with_paths_relative_to_the_configuration()
    {
        var options = Read(Minimal(
            ("Identity:Oidc:JwksFile", "jwks.json"),
            ("Identity:Oidc:NameClaim", "email"),
            ("Identity:Oidc:GroupsClaim", "groups"),
            ("Identity:MaxTokenAge", "12:00:00"),
            ("Identity:RevocationsFile", "revoked.json")))!;

        var oidc = options.Oidc!;
        Assert.Multiple(() =>
        {
            Assert.That(oidc.Issuer, Is.EqualTo("https://idp.example.test"));
            Assert.That(oidc.Audience, Is.EqualTo("hoopproxy"));
            Assert.That(oidc.JwksFile, Is.EqualTo(Path.Combine(_root, "jwks.json")));
            Assert.That((oidc.NameClaim, oidc.GroupsClaim), Is.EqualTo(("email", "groups")));
            Assert.That(oidc.MaxTokenAge, Is.EqualTo(TimeSpan.FromHours(12)));
            Assert.That(options.RevocationsFile, Is.EqualTo(Path.Combine(_root, "revoked.json")));
        });
    }

    [Test]
    public void Every_other_key_is_read()
    {
        var oidc = Read(Minimal(
            ("Identity:Oidc:Algorithms:0", "ES256"),
            ("Identity:Oidc:Algorithms:1", "PS512"),
            ("Identity:Oidc:ClockSkew", "00:00:00"),
            ("Identity:Oidc:KeyRefreshInterval", "06:00:00"),
            ("Identity:Oidc:UnknownKeyRefreshInterval", "00:00:05"),
            ("Identity:ExpiryGrace", "00:05:00")))!.Oidc!;

        Assert.Multiple(() =>
        {
            Assert.That(oidc.Algorithms, Is.EquivalentTo(new[] { "ES256", "PS512" }));
            Assert.That(oidc.ClockSkew, Is.EqualTo(TimeSpan.Zero));
            Assert.That(oidc.KeyRefreshInterval, Is.EqualTo(TimeSpan.FromHours(6)));
            Assert.That(oidc.UnknownKeyRefreshInterval, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(oidc.ExpiryGrace, Is.EqualTo(TimeSpan.FromMinutes(5)));
        });
    }

    [Test]
    public void Defaults_are_asymmetric_algorithms_a_minute_of_skew_and_the_end_of_a_session_at_expiry()
    {
        var oidc = Read(Minimal())!.Oidc!;

        Assert.Multiple(() =>
        {
            Assert.That(oidc.Algorithms, Is.EquivalentTo(new[] { "RS256", "RS384", "RS512", "PS256", "ES256", "ES384" }));
            Assert.That(oidc.ClockSkew, Is.EqualTo(TimeSpan.FromSeconds(60)));
            Assert.That(oidc.MaxTokenAge, Is.Null);
            Assert.That(oidc.ExpiryGrace, Is.EqualTo(TimeSpan.Zero));
            Assert.That((oidc.NameClaim, oidc.GroupsClaim), Is.EqualTo(("sub", "groups")));
            Assert.That(oidc.JwksFile, Is.Null);
            Assert.That(oidc.MetadataAddress.AbsoluteUri, Is.EqualTo("https://idp.example.test/.well-known/openid-configuration"));
            Assert.That(oidc.RequireHttps, Is.True);
        });
    }

    [Test]
    public void Without_the_section_there_is_no_identity_configuration() =>
        Assert.That(Read(new() { ["Users:alice:Password"] = "x" }), Is.Null);

    [Test]
    public void A_revocation_list_works_without_oidc()
    {
        var options = Read(new() { ["Identity:RevocationsFile"] = "revoked.json" })!;

        Assert.That((options.Oidc, options.RevocationsFile), Is.EqualTo(((OidcOptions?)null, Path.Combine(_root, "revoked.json"))));
    }

    [Test]
    public void A_provider_on_this_machine_may_be_plain_http()
    {
        var oidc = Read(Minimal(("Identity:Oidc:Issuer", "http://127.0.0.1:8080/realms/test")))!.Oidc!;

        Assert.That(oidc.RequireHttps, Is.False);
        Assert.That(oidc.MetadataAddress.AbsoluteUri, Is.EqualTo("http://127.0.0.1:8080/realms/test/.well-known/openid-configuration"));
    }

    [TestCase("Identity:Oidc:Algorithms:0", "HS256", "Identity:Oidc:Algorithms: 'HS256' is HMAC, which is never accepted")]
    [TestCase("Identity:Oidc:Algorithms:0", "none", "Identity:Oidc:Algorithms: 'none' is not one of ES256, ES384, ES512, PS256")]
    [TestCase("Identity:Oidc:Issuer", "http://idp.example.test", "Identity:Oidc:Issuer: 'http://idp.example.test' must be https")]
    [TestCase("Identity:Oidc:Issuer", "idp.example.test", "Identity:Oidc:Issuer: 'idp.example.test' is not an https URL")]
    [TestCase("Identity:Oidc:Audience", "", "Identity:Oidc:Audience: is required")]
    [TestCase("Identity:Oidc:JwksFile", "missing.json", "Identity:Oidc:JwksFile: file '")]
    [TestCase("Identity:Oidc:ClockSkew", "00:10:00", "Identity:Oidc:ClockSkew: '00:10:00' is not a duration from 00:00:00 to 00:05:00")]
    [TestCase("Identity:Oidc:NameClaims", "email", "Identity:Oidc:NameClaims: is not a known key here")]
    [TestCase("Identity:MaxTokenAge", "soon", "Identity:MaxTokenAge: 'soon' is not a duration")]
    [TestCase("Identity:ExpiryGrace", "-00:01:00", "Identity:ExpiryGrace: '-00:01:00' is not a duration from 00:00:00")]
    [TestCase("Identity:RevocationsFile", "missing.json", "Identity:RevocationsFile: file '")]
    [TestCase("Identity:Revocations", "revoked.json", "Identity:Revocations: is not a known key here")]
    public void A_bad_value_names_its_key(string key, string value, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(Minimal((key, value))));

        Assert.That(error!.Message, Does.StartWith(message));
    }

    [Test]
    public void A_token_setting_without_oidc_is_refused()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(new() { ["Identity:MaxTokenAge"] = "12:00:00" }));

        Assert.That(error!.Message, Is.EqualTo("Identity:MaxTokenAge: applies to OIDC tokens, but Identity:Oidc is not configured"));
    }
}
