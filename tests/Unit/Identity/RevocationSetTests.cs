using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Core.Identity.Revocation;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Identity;

public sealed class RevocationSetTests
{
    private const string SshKey = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
    private const string ProviderKey = "jwk:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    private static readonly RevocationSet Listed = RevocationSet.Parse($$"""
        {
          // offboarded 2026-11-20, SEC-1234
          "tokenIds": [ "jti-77", "sha256:0f3a" ],
          "keyFingerprints": [ "{{SshKey}}", "{{ProviderKey}}" ],
          "subjects": [ "00u-mallory" ],
          "users": [ "Mallory@Example.test" ],
        }
        """);

    private static TokenIdentity Alice(string tokenId = "jti-1", string subject = "00u-alice", string name = "alice@example.test", string key = "jwk:alice-key") => new()
    {
        Name = name,
        Groups = [],
        Subject = subject,
        Issuer = "https://idp.example.test",
        TokenId = tokenId,
        ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
        SessionEndsAt = DateTimeOffset.UtcNow.AddHours(1),
        SigningKeyFingerprint = key,
    };

    [Test]
    public void Each_kind_of_entry_matches_a_token_identity()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Listed.Match(Alice()), Is.Null);
            Assert.That(Listed.Match(Alice(tokenId: "jti-77")), Is.EqualTo(new RevocationMatch(RevocationKind.TokenId, "jti-77")));
            Assert.That(Listed.Match(Alice(tokenId: "sha256:0f3a")), Is.EqualTo(new RevocationMatch(RevocationKind.TokenId, "sha256:0f3a")));
            Assert.That(Listed.Match(Alice(key: ProviderKey)), Is.EqualTo(new RevocationMatch(RevocationKind.KeyFingerprint, ProviderKey)));
            Assert.That(Listed.Match(Alice(subject: "00u-mallory")), Is.EqualTo(new RevocationMatch(RevocationKind.Subject, "00u-mallory")));
            Assert.That(Listed.Match(Alice(name: "mallory@example.test")), Is.EqualTo(new RevocationMatch(RevocationKind.User, "mallory@example.test")));
        });
    }

    [Test]
    public void Each_kind_of_entry_matches_the_credentials_of_other_logins()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Listed.Match(user: "alice"), Is.Null);
            Assert.That(Listed.Match(user: "MALLORY@example.test")!.Kind, Is.EqualTo(RevocationKind.User), "names ignore case");
            Assert.That(Listed.Match(user: "alice", keyFingerprint: SshKey)!.Kind, Is.EqualTo(RevocationKind.KeyFingerprint));
            Assert.That(Listed.Match(keyFingerprint: SshKey.ToLowerInvariant()), Is.Null, "fingerprints are case-sensitive base64");
            Assert.That(Listed.Match(subject: "00U-MALLORY"), Is.Null, "subjects are opaque and case-sensitive");
            Assert.That(Listed.Match(tokenId: "JTI-77"), Is.Null);
        });
    }

    [Test]
    public void The_most_specific_entry_is_reported() =>
        Assert.That(Listed.Match(Alice(tokenId: "jti-77", subject: "00u-mallory", name: "mallory@example.test"))!.Kind, Is.EqualTo(RevocationKind.TokenId));

    [Test]
    public void The_reason_names_only_what_the_client_presented()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new RevocationMatch(RevocationKind.TokenId, "jti-77").Reason, Is.EqualTo("token 'jti-77' has been revoked"));
            Assert.That(new RevocationMatch(RevocationKind.KeyFingerprint, SshKey).Reason, Is.EqualTo($"key {SshKey} has been revoked"));
            Assert.That(new RevocationMatch(RevocationKind.Subject, "00u").Reason, Is.EqualTo("the credentials of subject '00u' have been revoked"));
            Assert.That(new RevocationMatch(RevocationKind.User, "bob").Reason, Is.EqualTo("the credentials of user 'bob' have been revoked"));
        });
    }

    [Test]
    public void Every_list_is_optional() =>
        Assert.That((RevocationSet.Parse("{}").Count, RevocationSet.Parse("""{ "users": [ "bob" ] }""").Count), Is.EqualTo((0, 1)));

    [Test]
    public void Values_are_trimmed() =>
        Assert.That(RevocationSet.Parse("""{ "tokenIds": [ " jti-77 " ] }""").Match(tokenId: "jti-77"), Is.Not.Null);

    [TestCase("""{ "tokenID": [ "x" ] }""", "'tokenID' is not a known key; expected tokenIds, keyFingerprints, subjects, users")]
    [TestCase("""{ "users": "bob" }""", "'users' must be an array of strings")]
    [TestCase("""{ "users": [ "bob", 7 ] }""", "'users[1]' must be a non-empty string")]
    [TestCase("""{ "subjects": [ " " ] }""", "'subjects[0]' must be a non-empty string")]
    [TestCase("""[ "bob" ]""", "the file must be a JSON object")]
    [TestCase("{ \"users\": [ \"bob\"\n", "not valid JSON (line 2")]
    public void A_bad_file_is_refused_with_where(string json, string problem)
    {
        var error = Assert.Throws<FormatException>(() => RevocationSet.Parse(json));

        Assert.That(error!.Message, Does.StartWith(problem));
    }
}
