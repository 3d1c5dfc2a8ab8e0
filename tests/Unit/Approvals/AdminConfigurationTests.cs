using System.Net;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Core.Configuration;
using HoopProxy.Host.Admin;
using HoopProxy.Host.Configuration;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Approvals;

/// <summary>
/// The <c>Admin</c> section guards who may decide approvals: it listens on loopback unless told otherwise, refuses weak or
/// ambiguous tokens and misspelt keys, and keeps only token digests, which it never prints.
/// </summary>
public sealed class AdminConfigurationTests
{
    private const string DoraToken = "dora-secret-token-0123456789";
    private const string ErikToken = "erik-secret-token-9876543210";
    private static readonly string ErikDigest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ErikToken)));

    private static string AdminSection => $$"""
        "Admin": {
          "Listen": "127.0.0.1:9090",
          "Approvers": {
            "dora": { "Token": "{{DoraToken}}", "Groups": [ "dba" ] },
            "erik": { "TokenSha256": "{{ErikDigest}}", "Groups": [ "dba", "security" ] }
          }
        }
        """;

    private static string Valid => "{" + AdminSection + "}";

    /// <param name="more">Further top-level sections, each starting with a comma.</param>
    private static ProxyConfiguration LoadProxyConfiguration(string more)
    {
        var json = $$"""
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } }
              {{more}}
            }
            """;
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return ProxyConfiguration.FromConfiguration(new ConfigurationBuilder().AddJsonStream(stream).Build(), Path.GetTempPath());
    }

    private static AdminOptions Load(string json)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return AdminOptions.FromConfiguration(new ConfigurationBuilder().AddJsonStream(stream).Build().GetSection("Admin"));
    }

    private static ConfigurationException LoadFails(string original, string replacement)
    {
        var edited = Valid.Replace(original, replacement, StringComparison.Ordinal);
        Assert.That(edited, Is.Not.EqualTo(Valid), "the test's edit must apply");
        return Assert.Throws<ConfigurationException>(() => Load(edited))!;
    }

    [Test]
    public async Task The_documented_example_binds_listen_and_both_token_forms()
    {
        var admin = Load(Valid);

        Assert.That((admin.Listen, admin.AllowRemote), Is.EqualTo((new IPEndPoint(IPAddress.Loopback, 9090), false)));
        Assert.That(admin.Approvers.Select(a => (a.Name, string.Join(",", a.Groups))), Is.EqualTo(new[] { ("dora", "dba"), ("erik", "dba,security") }));
        var authenticator = new ApproverAuthenticator(admin.Approvers);
        Assert.That((await authenticator.AuthenticateAsync(DoraToken, CancellationToken.None)).Approver?.Name, Is.EqualTo("dora"), "a Token is kept as its digest and still matches");
        var erik = (await authenticator.AuthenticateAsync(ErikToken, CancellationToken.None)).Approver;
        Assert.That(erik?.Name, Is.EqualTo("erik"), "a TokenSha256 matches the token it is the digest of");
        Assert.That(erik?.CredentialId, Is.EqualTo("sha256:" + ErikDigest), "revocable under tokenIds by the digest, as a token without jti is");
        Assert.That((await authenticator.AuthenticateAsync(ErikDigest, CancellationToken.None)).Approver, Is.Null, "the digest itself is not a token");
    }

    [Test]
    public void Without_an_admin_section_there_is_no_admin_api()
    {
        Assert.That(LoadProxyConfiguration("").Admin, Is.Null);
        Assert.That(LoadProxyConfiguration("," + AdminSection).Admin?.Approvers, Has.Count.EqualTo(2));
    }

    [TestCase("[::1]:9090")]
    [TestCase("localhost:9090")]
    [TestCase("127.0.0.1:0")]
    public void Loopback_addresses_are_accepted(string listen)
    {
        var admin = Load(Valid.Replace("127.0.0.1:9090", listen, StringComparison.Ordinal));
        Assert.That(IPAddress.IsLoopback(admin.Listen.Address), Is.True);
    }

    [TestCase("0.0.0.0:9090")]
    [TestCase("*:9090")]
    [TestCase("192.0.2.10:9090")]
    [TestCase("[::]:9090")]
    public void A_non_loopback_address_is_refused_unless_remote_access_is_allowed(string listen)
    {
        var error = LoadFails("127.0.0.1:9090", listen);
        Assert.That(error.Key, Is.EqualTo("Admin:Listen"));
        Assert.That(error.Message, Does.Contain("loopback").And.Contain("AllowRemote").And.Contain("TLS"));

        var allowed = Load(Valid.Replace("\"Listen\": \"127.0.0.1:9090\"", $"\"Listen\": \"{listen}\", \"AllowRemote\": true", StringComparison.Ordinal));
        Assert.That((allowed.AllowRemote, allowed.Listen.Port), Is.EqualTo((true, 9090)));
    }

    [Test]
    public void A_token_shorter_than_16_characters_is_refused_without_echoing_it()
    {
        var error = LoadFails(DoraToken, "fifteen-chars!!");
        Assert.That(error.Key, Is.EqualTo("Admin:Approvers:dora:Token"));
        Assert.That(error.Message, Does.Contain("at least 16").And.Not.Contain("fifteen-chars!!"));

        Assert.That(Load(Valid.Replace(DoraToken, "sixteen-chars!!!", StringComparison.Ordinal)).Approvers, Has.Count.EqualTo(2), "16 is enough");
    }

    [TestCase("abc123")]
    [TestCase("zz5b3f0c9d1e2a7b6c4d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b")]
    public void A_digest_that_is_not_64_hex_digits_is_refused_without_echoing_it(string digest)
    {
        var error = LoadFails(ErikDigest, digest);
        Assert.That(error.Key, Is.EqualTo("Admin:Approvers:erik:TokenSha256"));
        Assert.That(error.Message, Does.Contain("64 hexadecimal").And.Not.Contain(digest));
    }

    [Test]
    public void An_approver_needs_exactly_one_token_form()
    {
        var none = LoadFails($"\"Token\": \"{DoraToken}\", ", "");
        Assert.That(none.Key, Is.EqualTo("Admin:Approvers:dora:Token"));

        var both = LoadFails($"\"Token\": \"{DoraToken}\"", $"\"Token\": \"{DoraToken}\", \"TokenSha256\": \"{ErikDigest}\"");
        Assert.That(both.Message, Does.StartWith("Admin:Approvers:dora:").And.Contain("both"));
    }

    [Test]
    public void Two_approvers_with_the_same_token_are_refused()
    {
        var error = LoadFails($"\"TokenSha256\": \"{ErikDigest}\"", $"\"Token\": \"{DoraToken}\"");
        Assert.That(error.Message, Does.StartWith("Admin:Approvers:erik").And.Contain("same token as dora"));
    }

    [Test]
    public void An_admin_section_without_approvers_is_refused()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load("""{ "Admin": { "Listen": "127.0.0.1:9090" } }"""));
        Assert.That(error!.Key, Is.EqualTo("Admin:Approvers"));
    }

    [Test]
    public void With_oidc_tokens_configured_an_admin_section_may_list_no_approvers()
    {
        const string identity = """
            , "Identity": { "Oidc": { "Issuer": "https://idp.example.test", "Audience": "hoopproxy" } }
            """;
        var admin = LoadProxyConfiguration(identity + """, "Admin": { "Listen": "127.0.0.1:9090" }""").Admin;
        Assert.That(admin?.Approvers, Is.Empty, "approvers come with their access tokens");
        var error = Assert.Throws<ConfigurationException>(() => LoadProxyConfiguration(""", "Admin": { "Listen": "127.0.0.1:9090" }"""));
        Assert.That(error!.Message, Does.StartWith("Admin:Approvers").And.Contain("Identity:Oidc"));
    }

    [TestCase("\"Listen\":", "\"Listn\":", "Admin:Listn")]
    [TestCase("\"Groups\": [ \"dba\" ]", "\"Group\": [ \"dba\" ]", "Admin:Approvers:dora:Group")]
    [TestCase("\"Listen\": \"127.0.0.1:9090\",", "\"Listen\": \"127.0.0.1:9090\", \"Tls\": { \"Enabled\": true },", "Admin:Tls")]
    public void An_unknown_key_is_refused_with_its_path(string original, string replacement, string key)
    {
        var error = LoadFails(original, replacement);
        Assert.That(error.Key, Is.EqualTo(key));
        Assert.That(error.Message, Does.Contain("not a known key"));
    }

    [Test]
    public void Printing_the_options_or_an_approver_shows_neither_token_nor_digest()
    {
        var admin = Load(Valid);
        var printed = admin + " " + string.Join(" ", admin.Approvers);
        var doraDigest = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(DoraToken)));
        Assert.That(printed, Does.Contain("dora").And.Contain("erik"));
        Assert.That(printed, Does.Not.Contain(DoraToken).And.Not.Contain(ErikToken));
        Assert.That(printed, Does.Not.Contain(ErikDigest).IgnoreCase.And.Not.Contain(doraDigest).IgnoreCase);
        Assert.That(printed, Does.Not.Contain("Byte[]"), "not even the type of the digest field");
    }
}
