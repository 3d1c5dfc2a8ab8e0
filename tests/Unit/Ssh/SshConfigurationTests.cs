using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity;
using HoopProxy.Ssh.Configuration;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Ssh;

public sealed class SshConfigurationTests
{
    private const string Fingerprint = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";

    private static IConfigurationRoot Json(string json)
    {
        var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        return new ConfigurationBuilder().AddJsonStream(stream).Build();
    }

    [Test]
    public void The_issues_example_loads_as_written()
    {
        var configuration = Json($$"""
            {
              "Ssh": {
                "Listen": "127.0.0.1:2222",
                "HostKeyFile": "hostkey",
                "DefaultTarget": "web",
                "Targets": {
                  "web": { "Host": "127.0.0.1", "Port": 22, "Username": "deploy", "PrivateKeyFile": "deploy_ed25519", "HostKey": "{{Fingerprint}}" }
                }
              },
              "Users": { "alice": { "Password": "alice-pw", "AuthorizedKeys": [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE alice@laptop" ] } }
            }
            """);
        var options = SshProxyOptions.FromConfiguration(configuration.GetSection("Ssh"), "/etc/hoopproxy");
        Assert.That(options.Listen.Port, Is.EqualTo(2222));
        Assert.That(options.HostKeyFile, Is.EqualTo("/etc/hoopproxy/hostkey"));
        var web = options.Targets["web"];
        Assert.That((web.Host, web.Port, web.Username, web.PrivateKeyFile, web.HostKeyFingerprint),
            Is.EqualTo(("127.0.0.1", 22, "deploy", "/etc/hoopproxy/deploy_ed25519", Fingerprint)));
        Assert.That(options.DefaultTarget, Is.EqualTo("web"));

        var users = UserDirectory.FromConfiguration(configuration.GetSection("Users"));
        Assert.That(users.TryFind("alice", out var alice), Is.True);
        Assert.That(alice.AuthorizedKeys, Has.Count.EqualTo(1));
    }

    [TestCase("""{ "Host": "h", "Username": "u", "HostKey": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s" }""", "needs PrivateKeyFile or Password")]
    [TestCase("""{ "Host": "h", "Username": "u", "Password": "p" }""", "HostKey: is required")]
    [TestCase("""{ "Host": "h", "Username": "u", "Password": "p", "HostKey": "MD5:aa:bb" }""", "is not a SHA256 fingerprint")]
    [TestCase("""{ "Host": "h", "Username": "u", "Password": "p", "HostKey": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", "Hostkey2": 1 }""", "is not a known key")]
    public void A_target_must_name_its_credentials_and_pin_its_host_key(string target, string message)
    {
        var configuration = Json($$"""{ "Ssh": { "Listen": "127.0.0.1:2222", "HostKeyFile": "k", "Targets": { "web": {{target}} } } }""");
        var error = Assert.Throws<ConfigurationException>(() => SshProxyOptions.FromConfiguration(configuration.GetSection("Ssh"), "/tmp"));
        Assert.That(error!.Message, Does.Contain("Ssh:Targets:web").And.Contain(message));
    }

    [Test]
    public void A_target_password_is_not_shown_by_to_string()
    {
        var configuration = Json($$"""{ "Ssh": { "Listen": "127.0.0.1:2222", "HostKeyFile": "k", "Targets": { "web": { "Host": "h", "Username": "u", "Password": "secret-pw", "HostKey": "{{Fingerprint}}" } } } }""");
        var options = SshProxyOptions.FromConfiguration(configuration.GetSection("Ssh"), "/tmp");
        Assert.That(options.Targets["web"].ToString(), Does.Not.Contain("secret-pw"));
        Assert.That(options.ToString(), Does.Not.Contain("secret-pw"));
    }

    [Test]
    public void A_user_needs_a_password_or_keys()
    {
        var error = Assert.Throws<ConfigurationException>(() => UserDirectory.FromConfiguration(Json("""{ "Users": { "carol": { "Groups": [ "x" ] } } }""").GetSection("Users")));
        Assert.That(error!.Message, Does.Contain("Users:carol:Password").And.Contain("unless AuthorizedKeys"));
        var keysOnly = UserDirectory.FromConfiguration(Json("""{ "Users": { "dave": { "AuthorizedKeys": [ "ssh-ed25519 AAAA dave" ] } } }""").GetSection("Users"));
        Assert.That(keysOnly.TryFind("dave", out var dave) && dave.Password is null, Is.True);
    }
}
