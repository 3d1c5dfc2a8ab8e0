using HoopProxy.Core.Configuration;
using HoopProxy.Host.Configuration;
using HoopProxy.Postgres.Configuration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Configuration;

/// <summary>Configuration files are validated at startup, and every error names the key that is wrong.</summary>
public sealed class ProxyConfigurationTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "hoopproxy-config-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    private ProxyConfiguration Load(string json)
    {
        var path = Path.Combine(_directory, "hoopproxy.json");
        File.WriteAllText(path, json);
        return ProxyConfiguration.Load(path);
    }

    private const string Valid = """
        {
          "Postgres": {
            "Listen": "127.0.0.1:15432",
            "DefaultTarget": "bank",
            "Targets": {
              "bank": { "Host": "127.0.0.1", "Port": 5432, "Database": "bank",
                        "Username": "app", "Password": "app-secret", "SslMode": "prefer" }
            }
          },
          "Users": {
            "alice": { "Password": "alice-pw", "Groups": [ "analysts" ] }
          }
        }
        """;

    [Test]
    public void The_issue_example_binds_to_immutable_records()
    {
        var configuration = Load(Valid);

        var postgres = configuration.Postgres!;
        Assert.That(postgres.Listen.ToString(), Is.EqualTo("127.0.0.1:15432"));
        Assert.That(postgres.DefaultTarget, Is.EqualTo("bank"));
        Assert.That(postgres.Tls, Is.Null);
        var bank = postgres.Targets["bank"];
        Assert.That((bank.Host, bank.Port, bank.Database, bank.Username, bank.Password, bank.SslMode),
            Is.EqualTo(("127.0.0.1", 5432, "bank", "app", "app-secret", SslMode.Prefer)));
        Assert.That(configuration.Users.TryFind("alice", out var alice), Is.True);
        Assert.That(alice.Groups, Is.EqualTo(new[] { "analysts" }));
    }

    [Test]
    public void A_target_never_shows_its_password_when_printed()
    {
        var bank = Load(Valid).Postgres!.Targets["bank"];
        Assert.That(bank.ToString(), Does.Not.Contain("app-secret"));
    }

    [TestCase("\"Port\": 5432", "\"Port\": 70000", "Postgres:Targets:bank:Port")]
    [TestCase("\"Port\": 5432", "\"Port\": \"five\"", "Postgres:Targets:bank:Port")]
    [TestCase("\"Host\": \"127.0.0.1\", ", "", "Postgres:Targets:bank:Host")]
    [TestCase("\"SslMode\": \"prefer\"", "\"SslMode\": \"sometimes\"", "Postgres:Targets:bank:SslMode")]
    [TestCase("\"Listen\": \"127.0.0.1:15432\"", "\"Listen\": \"nowhere\"", "Postgres:Listen")]
    [TestCase("\"DefaultTarget\": \"bank\"", "\"DefaultTarget\": \"vault\"", "Postgres:DefaultTarget")]
    [TestCase("\"Password\": \"alice-pw\", ", "", "Users:alice:Password")]
    public void A_bad_value_is_reported_with_its_key(string original, string replacement, string key)
    {
        var edited = Valid.Replace(original, replacement, StringComparison.Ordinal);
        Assert.That(edited, Is.Not.EqualTo(Valid), "the test's edit must apply");
        var error = Assert.Throws<ConfigurationException>(() => Load(edited));
        Assert.That(error!.Message, Does.StartWith(key));
    }

    [Test]
    public void Missing_tls_files_are_reported_with_the_key_and_path()
    {
        var json = Valid.Replace("\"DefaultTarget\": \"bank\",", "\"DefaultTarget\": \"bank\", \"Tls\": { \"CertificateFile\": \"server.crt\", \"KeyFile\": \"server.key\" },", StringComparison.Ordinal);
        var error = Assert.Throws<ConfigurationException>(() => Load(json));
        Assert.That(error!.Message, Does.StartWith("Postgres:Tls:CertificateFile"));
        Assert.That(error.Message, Does.Contain(Path.Combine(_directory, "server.crt")), "relative files resolve against the config file's folder");
    }

    [Test]
    public void Broken_json_is_reported_as_such()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load("{ \"Postgres\": "));
        Assert.That(error!.Message, Does.Contain("not valid JSON"));
    }

    [Test]
    public void Limits_have_safe_defaults_and_can_be_set()
    {
        var defaults = Load(Valid).Postgres!.Limits;
        Assert.That(defaults.MaxMessageBytes, Is.EqualTo(0x3fffffff));

        var json = Valid.Replace("\"DefaultTarget\": \"bank\",", "\"DefaultTarget\": \"bank\", \"Limits\": { \"MaxConnections\": 7, \"StartupTimeout\": \"00:00:05\", \"MaxMessageBytes\": 65536 },", StringComparison.Ordinal);
        var limits = Load(json).Postgres!.Limits;
        Assert.That((limits.MaxConnections, limits.StartupTimeout, limits.MaxMessageBytes), Is.EqualTo((7, TimeSpan.FromSeconds(5), 65536)));
    }
}
