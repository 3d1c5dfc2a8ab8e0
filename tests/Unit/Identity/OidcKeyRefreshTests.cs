using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Identity;

/// <summary>
/// Where the keys come from and when they are read again: the discovery endpoint of the test provider (cached, fetched
/// again on an unknown kid at a limited rate and periodically, kept when the provider is down) and the JWKS file.
/// </summary>
public sealed class OidcKeyRefreshTests
{
    private TestIdentityProvider _idp = null!;
    private ListLogger _logger = null!;
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp()
    {
        _idp = TestIdentityProvider.Start();
        _logger = new ListLogger();
        // exp and nbf are checked against the system clock by the library; the test clock starts there and only moves forward.
        _time = new FakeTimeProvider(DateTimeOffset.UtcNow);
    }

    [TearDown]
    public void TearDown() => _idp.Dispose();

    private OidcTokenValidator Discovery() => new(_idp.DiscoveryOptions(), _logger, _time);

    [Test]
    public async Task Keys_are_fetched_once_through_discovery_and_cached()
    {
        using var validator = Discovery();

        Assert.That(await validator.LoadKeysAsync(), Is.True);
        for (var i = 0; i < 5; i++)
        {
            Assert.That((await validator.ValidateAsync(_idp.Mint(i % 2 == 0 ? _idp.Rsa : _idp.Ec))).Succeeded, Is.True);
        }

        Assert.That((_idp.DiscoveryRequests, _idp.JwksRequests), Is.EqualTo((1, 1)));
        Assert.That(_logger.Entries.Any(e => e.Id.Id == 6000 && e.Message.Contains("rsa-1 RSA") && e.Message.Contains("ec-1 EC")), Is.True);
    }

    [Test]
    public async Task Without_loading_first_the_first_token_waits_for_the_keys()
    {
        using var validator = Discovery();

        Assert.That((await validator.ValidateAsync(_idp.Mint(_idp.Rsa))).Succeeded, Is.True);
    }

    [Test]
    public async Task A_rotated_key_is_accepted_on_its_first_token()
    {
        using var validator = Discovery();
        await validator.LoadKeysAsync();
        var rotated = _idp.NewKey(TestKeyType.EcP256, "ec-2");

        var result = await validator.ValidateAsync(_idp.Mint(rotated));

        Assert.That(result.Succeeded, Is.True, result.Reason);
        Assert.That(result.Identity!.SigningKeyId, Is.EqualTo("ec-2"));
        Assert.That(_idp.JwksRequests, Is.EqualTo(2), "one fetch for the unknown kid");
    }

    [Test]
    public async Task Unknown_kids_fetch_the_keys_at_most_once_per_interval()
    {
        using var validator = Discovery();
        await validator.LoadKeysAsync();
        using var forged1 = TestSigningKey.Unpublished(TestKeyType.Rsa, "forged-1");
        using var forged2 = TestSigningKey.Unpublished(TestKeyType.Rsa, "forged-2");

        Assert.That((await validator.ValidateAsync(_idp.Mint(forged1))).Rejection, Is.EqualTo(TokenRejection.UnknownSigningKey));
        Assert.That((await validator.ValidateAsync(_idp.Mint(forged2))).Rejection, Is.EqualTo(TokenRejection.UnknownSigningKey));
        Assert.That(_idp.JwksRequests, Is.EqualTo(2), "the second unknown kid within the interval fetches nothing");

        _time.Advance(OidcOptions.DefaultUnknownKeyRefreshInterval);
        Assert.That((await validator.ValidateAsync(_idp.Mint(forged2))).Rejection, Is.EqualTo(TokenRejection.UnknownSigningKey));
        Assert.That(_idp.JwksRequests, Is.EqualTo(3));
    }

    [Test]
    public async Task Concurrent_tokens_with_a_new_kid_share_one_fetch()
    {
        using var validator = Discovery();
        await validator.LoadKeysAsync();
        var rotated = _idp.NewKey(TestKeyType.Rsa, "rsa-2");
        var tokens = Enumerable.Range(0, 16).Select(_ => _idp.Mint(rotated)).ToArray();

        var results = await Task.WhenAll(tokens.Select(t => validator.ValidateAsync(t).AsTask()));

        Assert.That(results.All(r => r.Succeeded), Is.True, string.Join("; ", results.Select(r => r.Reason)));
        Assert.That(_idp.JwksRequests, Is.EqualTo(2));
    }

    [Test]
    public async Task A_key_the_provider_removed_stops_working_after_the_periodic_refresh()
    {
        using var validator = Discovery();
        await validator.LoadKeysAsync();
        _idp.Unpublish(_idp.Ec);
        var token = _idp.Mint(_idp.Ec);
        Assert.That((await validator.ValidateAsync(token)).Succeeded, Is.True, "cached until the refresh is due");

        _time.Advance(OidcOptions.DefaultKeyRefreshInterval);
        // The due refresh runs in the background; this validation still uses the cached keys.
        await validator.ValidateAsync(token);

        Assert.That(await Poll.UntilAsync(async () => (await validator.ValidateAsync(token)).Rejection == TokenRejection.UnknownSigningKey, TimeSpan.FromSeconds(10)),
            Is.True, "ec-1 still accepted after the refresh");
    }

    [Test]
    public async Task A_provider_down_at_start_refuses_tokens_until_it_answers()
    {
        _idp.Available = false;
        using var validator = Discovery();

        Assert.That(await validator.LoadKeysAsync(), Is.False);
        var result = await validator.ValidateAsync(_idp.Mint(_idp.Rsa));
        Assert.That((result.Rejection, result.Reason), Is.EqualTo((TokenRejection.KeysUnavailable, "the identity provider's signing keys are not available; try again later")));
        Assert.That(_logger.Entries.Any(e => e.Id.Id == 6001 && e.Message.Contains("no keys at all: True")), Is.True);

        _idp.Available = true;
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.That((await validator.ValidateAsync(_idp.Mint(_idp.Rsa))).Succeeded, Is.True);
    }

    [Test]
    public async Task A_provider_down_later_leaves_the_cached_keys_in_force()
    {
        using var validator = Discovery();
        await validator.LoadKeysAsync();
        _idp.Available = false;
        var rotated = _idp.NewKey(TestKeyType.Rsa, "rsa-2");

        Assert.That((await validator.ValidateAsync(_idp.Mint(rotated))).Rejection, Is.EqualTo(TokenRejection.UnknownSigningKey));
        Assert.That((await validator.ValidateAsync(_idp.Mint(_idp.Rsa))).Succeeded, Is.True);
    }

    [Test]
    public async Task A_discovery_document_for_another_issuer_is_not_used()
    {
        _idp.DiscoveryIssuer = "https://evil.example.test";
        using var validator = Discovery();

        Assert.That(await validator.LoadKeysAsync(), Is.False);
        Assert.That(_logger.Entries.Single(e => e.Id.Id == 6001).Message, Does.Contain("the document's issuer is 'https://evil.example.test'"));
    }

    [Test]
    public async Task A_replaced_jwks_file_is_read_again_when_a_token_names_a_new_kid()
    {
        var file = _idp.WriteJwksFile();
        using var validator = new OidcTokenValidator(_idp.FileOptions(file), _logger, _time);
        var rotated = _idp.NewKey(TestKeyType.Rsa, "rsa-2");
        var token = _idp.Mint(rotated);
        Assert.That((await validator.ValidateAsync(token)).Rejection, Is.EqualTo(TokenRejection.UnknownSigningKey), "not in the file yet");

        _idp.WriteJwksFile();

        Assert.That((await validator.ValidateAsync(token)).Succeeded, Is.True);
    }

    [Test]
    public async Task A_broken_replacement_jwks_file_keeps_the_keys_in_force()
    {
        var file = _idp.WriteJwksFile();
        using var validator = new OidcTokenValidator(_idp.FileOptions(file), _logger, _time);
        File.WriteAllText(file, "{ \"keys\": [ { \"kty\": ");
        using var stranger = TestSigningKey.Unpublished(TestKeyType.Rsa, "rsa-9");

        Assert.That((await validator.ValidateAsync(_idp.Mint(stranger))).Rejection, Is.EqualTo(TokenRejection.UnknownSigningKey));
        Assert.That((await validator.ValidateAsync(_idp.Mint(_idp.Rsa))).Succeeded, Is.True);
        Assert.That(_logger.Entries.Any(e => e.Id.Id == 6002), Is.True);
    }

    [TestCase("{ \"keys\": [ { \"kty\": ", "not a readable JWKS document")]
    [TestCase("{ \"keys\": [ { \"kty\": \"oct\", \"k\": \"c2VjcmV0\" } ] }", "no RSA or EC signing key")]
    [TestCase("{ \"keys\": [] }", "no RSA or EC signing key")]
    public void A_bad_jwks_file_at_start_names_the_key(string content, string problem)
    {
        var file = Path.Combine(_idp.Root, "bad.json");
        File.WriteAllText(file, content);

        var error = Assert.Throws<ConfigurationException>(() => new OidcTokenValidator(_idp.FileOptions(file), _logger).Dispose());

        Assert.That(error!.Message, Does.StartWith("Identity:Oidc:JwksFile: '" + file + "': " + problem));
    }

    [Test]
    public async Task An_encryption_key_in_the_jwks_is_ignored()
    {
        var encryption = _idp.Rsa.PublicJwk();
        encryption["kid"] = "enc-1";
        encryption["use"] = "enc";
        var file = Path.Combine(_idp.Root, "mixed.json");
        File.WriteAllText(file, $"{{ \"keys\": [ {encryption.ToJsonString()}, {_idp.Ec.PublicJwk().ToJsonString()} ] }}");
        using var validator = new OidcTokenValidator(_idp.FileOptions(file), _logger);

        var token = _idp.Mint(_idp.Rsa, editHeader: h => h["kid"] = "enc-1");

        Assert.That((await validator.ValidateAsync(token)).Rejection, Is.EqualTo(TokenRejection.UnknownSigningKey));
        Assert.That(_logger.Entries.Single(e => e.Id.Id == 6000).Message, Does.Contain("ignored: enc-1: use is 'enc'"));
    }
}
