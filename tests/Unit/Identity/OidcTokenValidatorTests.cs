using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Identity;

public enum KeySource
{
    JwksFile,
    Discovery,
}

/// <summary>
/// Tokens minted by the test provider with real keys, validated by the real library: what is accepted, and each way a
/// token is refused, with the reason the client would read.
/// </summary>
public sealed class OidcTokenValidatorTests
{
    private TestIdentityProvider _idp = null!;
    private string _jwksFile = null!;
    private ListLogger _logger = null!;

    [OneTimeSetUp]
    public void StartProvider()
    {
        _idp = TestIdentityProvider.Start();
        _jwksFile = _idp.WriteJwksFile();
    }

    [OneTimeTearDown]
    public void StopProvider() => _idp.Dispose();

    [SetUp]
    public void NewLogger() => _logger = new ListLogger();

    private OidcTokenValidator Validator(KeySource source = KeySource.JwksFile, Func<OidcOptions, OidcOptions>? change = null)
    {
        var options = source == KeySource.JwksFile ? _idp.FileOptions(_jwksFile) : _idp.DiscoveryOptions();
        return new OidcTokenValidator(change is null ? options : change(options), _logger);
    }

    private async Task<TokenValidation> ValidateAsync(string token, Func<OidcOptions, OidcOptions>? change = null, KeySource source = KeySource.JwksFile)
    {
        using var validator = Validator(source, change);
        return await validator.ValidateAsync(token);
    }

    private static async Task AssertRefusedAsync(Task<TokenValidation> validation, TokenRejection rejection, string reasonContains, string token)
    {
        var result = await validation;
        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.False, "accepted");
            Assert.That(result.Rejection, Is.EqualTo(rejection), result.Reason);
            Assert.That(result.Reason, Does.Contain(reasonContains));
            // Client-safe: the token, or any of its three parts, never comes back.
            foreach (var part in token.Split('.').Where(p => p.Length > 8))
            {
                Assert.That(result.Reason, Does.Not.Contain(part));
            }
        });
    }

    [Test]
    public async Task Rsa_and_ec_tokens_are_accepted([Values] KeySource source, [Values(TestKeyType.Rsa, TestKeyType.EcP256)] TestKeyType type)
    {
        var key = type == TestKeyType.Rsa ? _idp.Rsa : _idp.Ec;
        var issuedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        var token = _idp.Mint(key, c =>
        {
            c["jti"] = "jti-77";
            c["iat"] = TestIdentityProvider.Unix(issuedAt);
            c["exp"] = TestIdentityProvider.Unix(issuedAt.AddHours(1));
        });

        var result = await ValidateAsync(token, source: source);

        Assert.That(result.Succeeded, Is.True, result.Reason);
        var identity = result.Identity!;
        Assert.Multiple(() =>
        {
            Assert.That(identity.Name, Is.EqualTo(TestIdentityProvider.UserEmail));
            Assert.That(identity.Groups, Is.EqualTo(new[] { "analysts", "on-call" }));
            Assert.That(identity.Subject, Is.EqualTo(TestIdentityProvider.UserSubject));
            Assert.That(identity.Issuer, Is.EqualTo(_idp.Issuer));
            Assert.That(identity.TokenId, Is.EqualTo("jti-77"));
            Assert.That(identity.IssuedAt, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(TestIdentityProvider.Unix(issuedAt))));
            Assert.That(identity.ExpiresAt, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(TestIdentityProvider.Unix(issuedAt.AddHours(1)))));
            Assert.That(identity.SessionEndsAt, Is.EqualTo(identity.ExpiresAt), "no grace: the session ends at expiry");
            Assert.That(identity.SigningKeyId, Is.EqualTo(key.Kid));
            Assert.That(identity.SigningKeyFingerprint, Is.EqualTo(key.Fingerprint));
        });
    }

    [TestCase("RS384")]
    [TestCase("RS512")]
    [TestCase("PS256")]
    public async Task Other_allowed_rsa_algorithms_are_accepted(string algorithm)
    {
        var token = _idp.Mint(_idp.Rsa, editHeader: h => h["alg"] = algorithm);

        Assert.That((await ValidateAsync(token)).Succeeded, Is.True);
    }

    [Test]
    public async Task A_token_without_kid_is_tried_against_every_key()
    {
        var token = _idp.Mint(_idp.Ec, editHeader: h => h.Remove("kid"));

        var result = await ValidateAsync(token);

        Assert.That(result.Succeeded, Is.True, result.Reason);
        Assert.That((result.Identity!.SigningKeyId, result.Identity.SigningKeyFingerprint), Is.EqualTo(((string?)null, _idp.Ec.Fingerprint)));
    }

    [TestCase("analysts on-call", new[] { "analysts", "on-call" })]
    [TestCase("analysts,on-call", new[] { "analysts", "on-call" })]
    [TestCase("analysts", new[] { "analysts" })]
    public async Task Groups_may_be_one_string_of_names(string groups, string[] expected)
    {
        var token = _idp.Mint(_idp.Rsa, c => c["groups"] = groups);

        Assert.That((await ValidateAsync(token)).Identity!.Groups, Is.EqualTo(expected));
    }

    [Test]
    public async Task A_group_name_with_a_space_in_an_array_stays_whole()
    {
        var token = _idp.Mint(_idp.Rsa, c => c["groups"] = new JsonArray("Domain Users", "dba"));

        Assert.That((await ValidateAsync(token)).Identity!.Groups, Is.EqualTo(new[] { "Domain Users", "dba" }));
    }

    [Test]
    public async Task A_name_claim_that_is_an_array_is_not_a_name()
    {
        var token = _idp.Mint(_idp.Rsa, c => c["email"] = new JsonArray("alice@example.test", "bob@example.test"));

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.MissingClaim, "no 'email' claim", token);
    }

    [Test]
    public async Task Without_the_groups_claim_there_are_no_groups()
    {
        var token = _idp.Mint(_idp.Rsa, c => c.Remove("groups"));

        Assert.That((await ValidateAsync(token)).Identity!.Groups, Is.Empty);
    }

    [Test]
    public async Task Without_jti_the_token_id_is_the_sha256_of_the_token()
    {
        var token = _idp.Mint(_idp.Rsa, c => c.Remove("jti"));

        var identity = (await ValidateAsync(token)).Identity!;

        Assert.That(identity.TokenId, Is.EqualTo("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)))));
    }

    [Test]
    public async Task The_session_ends_at_the_maximum_age_when_that_comes_before_expiry_plus_the_grace()
    {
        var issuedAt = DateTimeOffset.UtcNow.AddMinutes(-10);
        var token = _idp.Mint(_idp.Rsa, c =>
        {
            c["iat"] = TestIdentityProvider.Unix(issuedAt);
            c["exp"] = TestIdentityProvider.Unix(issuedAt.AddHours(24));
        });

        var identity = (await ValidateAsync(token, o => o with { MaxTokenAge = TimeSpan.FromHours(1), ExpiryGrace = TimeSpan.FromMinutes(2) })).Identity!;

        Assert.That(identity.SessionEndsAt, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(TestIdentityProvider.Unix(issuedAt)) + TimeSpan.FromMinutes(62)));
    }

    [Test]
    public async Task Expired_is_refused([Values] KeySource source)
    {
        var token = _idp.Mint(_idp.Rsa, c =>
        {
            c["iat"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddHours(-2));
            c["nbf"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddHours(-2));
            c["exp"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddMinutes(-2));
        });

        await AssertRefusedAsync(ValidateAsync(token, source: source), TokenRejection.Expired, "the token expired at", token);
    }

    [Test]
    public async Task Expired_within_the_clock_skew_is_still_accepted()
    {
        var token = _idp.Mint(_idp.Rsa, c =>
        {
            c["iat"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddHours(-1));
            c["nbf"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddHours(-1));
            c["exp"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddSeconds(-20));
        });

        Assert.That((await ValidateAsync(token)).Succeeded, Is.True);
        await AssertRefusedAsync(ValidateAsync(token, o => o with { ClockSkew = TimeSpan.Zero }), TokenRejection.Expired, "expired", token);
    }

    [Test]
    public async Task Not_yet_valid_is_refused()
    {
        var token = _idp.Mint(_idp.Rsa, c => c["nbf"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddMinutes(10)));

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.NotYetValid, "not valid before", token);
    }

    [Test]
    public async Task Issued_in_the_future_is_refused()
    {
        var token = _idp.Mint(_idp.Rsa, c => c["iat"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddMinutes(10)));

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.NotYetValid, "issued in the future", token);
    }

    [Test]
    public async Task Wrong_audience_is_refused([Values] KeySource source)
    {
        var token = _idp.Mint(_idp.Rsa, c => c["aud"] = "another-api");

        await AssertRefusedAsync(ValidateAsync(token, source: source), TokenRejection.WrongAudience, "wrong audience", token);
    }

    [Test]
    public async Task One_of_several_audiences_is_enough()
    {
        var token = _idp.Mint(_idp.Rsa, c => c["aud"] = new JsonArray("another-api", TestIdentityProvider.Audience));

        Assert.That((await ValidateAsync(token)).Succeeded, Is.True);
    }

    [Test]
    public async Task Wrong_issuer_is_refused([Values] KeySource source)
    {
        var token = _idp.Mint(_idp.Rsa, c => c["iss"] = "https://evil.example.test");

        await AssertRefusedAsync(ValidateAsync(token, source: source), TokenRejection.WrongIssuer, "wrong issuer", token);
    }

    [Test]
    public async Task Unknown_key_is_refused([Values] KeySource source)
    {
        using var stranger = TestSigningKey.Unpublished(TestKeyType.Rsa, "not-published");
        var token = _idp.Mint(stranger);

        await AssertRefusedAsync(ValidateAsync(token, source: source), TokenRejection.UnknownSigningKey, "unknown key (kid 'not-published')", token);
    }

    [Test]
    public async Task A_known_kid_with_another_key_s_signature_is_a_bad_signature()
    {
        using var stranger = TestSigningKey.Unpublished(TestKeyType.Rsa, _idp.Rsa.Kid);
        var token = _idp.Mint(stranger);

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.BadSignature, "signature is not valid", token);
    }

    [Test]
    public async Task A_tampered_payload_is_refused([Values(TestKeyType.Rsa, TestKeyType.EcP256)] TestKeyType type)
    {
        var token = _idp.Mint(type == TestKeyType.Rsa ? _idp.Rsa : _idp.Ec);
        var parts = token.Split('.');
        var claims = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]))!.AsObject();
        claims["groups"] = new JsonArray("admins");
        var tampered = parts[0] + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(claims.ToJsonString()) + "." + parts[2];

        await AssertRefusedAsync(ValidateAsync(tampered), TokenRejection.BadSignature, "signature is not valid", tampered);
    }

    [Test]
    public async Task A_tampered_signature_is_refused([Values(TestKeyType.Rsa, TestKeyType.EcP256)] TestKeyType type)
    {
        var token = _idp.Mint(type == TestKeyType.Rsa ? _idp.Rsa : _idp.Ec);
        // A character in the middle: the last one may only carry padding bits.
        var at = token.LastIndexOf('.') + 10;
        var tampered = token[..at] + (token[at] == 'A' ? 'B' : 'A') + token[(at + 1)..];

        await AssertRefusedAsync(ValidateAsync(tampered), TokenRejection.BadSignature, "signature is not valid", tampered);
    }

    [Test]
    public async Task A_token_without_kid_that_no_key_verifies_is_a_bad_signature()
    {
        using var stranger = TestSigningKey.Unpublished(TestKeyType.Rsa, "unused");
        var token = _idp.Mint(stranger, editHeader: h => h.Remove("kid"));

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.BadSignature, "signature is not valid", token);
    }

    [Test]
    public async Task Alg_none_is_refused_even_when_listed()
    {
        var token = _idp.MintUnsigned();

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.AlgorithmNotAllowed, "algorithm 'none' is not accepted", token);
        // OidcOptions from configuration can never hold 'none'; built in code, the validator must still refuse it.
        await AssertRefusedAsync(ValidateAsync(token, o => o with { Algorithms = new HashSet<string> { "none", "RS256" } }),
            TokenRejection.AlgorithmNotAllowed, "algorithm 'none' is not accepted", token);
    }

    [Test]
    public async Task Hmac_signed_with_the_public_key_is_refused()
    {
        var token = _idp.MintHmacWithPublicKey(_idp.Rsa);

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.AlgorithmNotAllowed, "algorithm 'HS256' is not accepted", token);
    }

    [Test]
    public async Task Hmac_signed_with_the_public_key_is_refused_even_when_hs256_is_listed_in_code()
    {
        // The configuration reader refuses HS256; an OidcOptions built in code could still list it.
        var token = _idp.MintHmacWithPublicKey(_idp.Rsa);

        await AssertRefusedAsync(ValidateAsync(token, o => o with { Algorithms = new HashSet<string> { "HS256", "RS256" } }),
            TokenRejection.AlgorithmNotAllowed, "algorithm 'HS256' is not accepted", token);
    }

    [Test]
    public async Task An_algorithm_off_the_list_is_refused()
    {
        var token = _idp.Mint(_idp.Ec);

        await AssertRefusedAsync(ValidateAsync(token, o => o with { Algorithms = new HashSet<string> { "RS256" } }),
            TokenRejection.AlgorithmNotAllowed, "'ES256' is not accepted", token);
    }

    [Test]
    public async Task A_key_declaring_its_algorithm_is_used_only_for_that_one()
    {
        using var idp = TestIdentityProvider.Start();
        var key = idp.NewKey(TestKeyType.Rsa, "rs256-only", declaredAlgorithm: "RS256");
        var file = idp.WriteJwksFile();
        using var validator = new OidcTokenValidator(idp.FileOptions(file), _logger);

        Assert.That((await validator.ValidateAsync(idp.Mint(key))).Succeeded, Is.True);
        var pss = idp.Mint(key, editHeader: h => h["alg"] = "PS256");
        await AssertRefusedAsync(validator.ValidateAsync(pss).AsTask(), TokenRejection.AlgorithmNotAllowed, "not the one its key is for", pss);
    }

    [Test]
    public async Task Older_than_the_maximum_age_is_refused_although_not_expired()
    {
        var token = _idp.Mint(_idp.Rsa, c =>
        {
            c["iat"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddHours(-13));
            c["nbf"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddHours(-13));
            c["exp"] = TestIdentityProvider.Unix(DateTimeOffset.UtcNow.AddHours(11));
        });

        Assert.That((await ValidateAsync(token)).Succeeded, Is.True, "without MaxTokenAge");
        await AssertRefusedAsync(ValidateAsync(token, o => o with { MaxTokenAge = TimeSpan.FromHours(12) }), TokenRejection.TooOld, "more than 12:00:00 ago", token);
    }

    [Test]
    public async Task Without_iat_a_maximum_age_cannot_be_checked_so_the_token_is_refused()
    {
        var token = _idp.Mint(_idp.Rsa, c => c.Remove("iat"));

        Assert.That((await ValidateAsync(token)).Identity!.IssuedAt, Is.Null, "without MaxTokenAge");
        await AssertRefusedAsync(ValidateAsync(token, o => o with { MaxTokenAge = TimeSpan.FromHours(12) }), TokenRejection.TooOld, "no 'iat' claim", token);
    }

    [Test]
    public async Task Missing_name_claim_is_refused()
    {
        var token = _idp.Mint(_idp.Rsa, c => c.Remove("email"));

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.MissingClaim, "no 'email' claim", token);
    }

    [Test]
    public async Task Missing_sub_is_refused()
    {
        var token = _idp.Mint(_idp.Rsa, c => c.Remove("sub"));

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.MissingClaim, "no 'sub' claim", token);
    }

    [Test]
    public async Task Missing_exp_is_refused()
    {
        var token = _idp.Mint(_idp.Rsa, c => c.Remove("exp"));

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.MissingClaim, "no 'exp' claim", token);
    }

    [TestCase("")]
    [TestCase("alice-pw")]
    [TestCase("a.b.c")]
    [TestCase("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0")]
    [TestCase("eyJhbGciOiJSUzI1NiJ9.!!!.sig")]
    public async Task Malformed_is_refused(string token) =>
        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.Malformed, "", token);

    [Test]
    public async Task Too_long_is_refused_unread()
    {
        var token = "eyJ" + new string('a', OidcTokenValidator.MaxTokenLength) + ".b.c";

        await AssertRefusedAsync(ValidateAsync(token), TokenRejection.Malformed, "too long", token);
    }

    [Test]
    public void A_token_is_told_from_a_password_by_its_shape()
    {
        Assert.Multiple(() =>
        {
            Assert.That(OidcTokenValidator.LooksLikeToken(_idp.Mint(_idp.Rsa)), Is.True);
            Assert.That(OidcTokenValidator.LooksLikeToken(_idp.MintUnsigned()), Is.True, "checked later, refused for its alg");
            Assert.That(OidcTokenValidator.LooksLikeToken("alice-pw"), Is.False);
            Assert.That(OidcTokenValidator.LooksLikeToken("eyJ.not a token.x"), Is.False);
            Assert.That(OidcTokenValidator.LooksLikeToken("correct.horse.battery"), Is.False);
        });
    }

    [Test]
    public async Task A_refusal_is_logged_at_debug_with_the_library_s_detail()
    {
        var token = _idp.Mint(_idp.Rsa, c => c["aud"] = "another-api");

        await ValidateAsync(token);

        var entry = _logger.Entries.Single(e => e.Id.Id == 6004);
        Assert.That(entry.Message, Does.Contain("WrongAudience").And.Contain("SecurityTokenInvalidAudienceException"));
        Assert.That(entry.Message, Does.Not.Contain(token.Split('.')[2]));
    }
}
