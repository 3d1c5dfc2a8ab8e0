using System.Collections.Frozen;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;
using SslMode = HoopProxy.Postgres.Configuration.SslMode;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// The proxy's own login to a target: every password method PostgreSQL offers and every sslmode, against a
/// second real cluster that has TLS on and per-user pg_hba rules.
/// </summary>
public sealed class UpstreamLoginTests
{
    private TestCertificates _certificates = null!;
    private LocalPostgresCluster _cluster = null!;

    [OneTimeSetUp]
    public async Task StartClusterAsync()
    {
        _certificates = TestCertificates.Create();
        _cluster = await LocalPostgresCluster.StartAsync(
            settings: new Dictionary<string, string>
            {
                ["ssl"] = "on",
                ["ssl_cert_file"] = "'server.crt'",
                ["ssl_key_file"] = "'server.key'",
            },
            hbaLines:
            [
                "hostssl all tlsonly 127.0.0.1/32 scram-sha-256",
                "host    all tlsonly 127.0.0.1/32 reject",
                "host    all md5user 127.0.0.1/32 md5",
                "host    all plainuser 127.0.0.1/32 password",
            ],
            files: new Dictionary<string, string>
            {
                ["server.crt"] = _certificates.ServerCertificatePem,
                ["server.key"] = _certificates.ServerKeyPem,
            });
        await _cluster.ExecuteAsync("""
            CREATE ROLE scramuser LOGIN PASSWORD 'scram-secret';
            CREATE ROLE tlsonly LOGIN PASSWORD 'tls-secret';
            CREATE ROLE plainuser LOGIN PASSWORD 'plain-secret';
            SET password_encryption = 'md5';
            CREATE ROLE md5user LOGIN PASSWORD 'md5-secret';
            """);
    }

    [OneTimeTearDown]
    public async Task StopClusterAsync()
    {
        await _cluster.DisposeAsync();
        _certificates.Dispose();
    }

    private Task<ProxyInstance> ProxyForAsync(string user, string password, SslMode sslMode, string host = "127.0.0.1", string? rootCertificate = null) =>
        ProxyInstance.StartAsync(o => o with
        {
            Targets = new Dictionary<string, PostgresTarget>
            {
                [TestCluster.TargetDatabase] = new()
                {
                    Name = TestCluster.TargetDatabase,
                    Host = host,
                    Port = _cluster.Port,
                    Database = "postgres",
                    Username = user,
                    Password = password,
                    SslMode = sslMode,
                    RootCertificateFile = rootCertificate,
                },
            }.ToFrozenDictionary(),
        });

    private static async Task<(string User, bool Ssl)> WhoAmIAsync(ProxyInstance proxy)
    {
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user::text, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True);
        return (reader.GetString(0), reader.GetBoolean(1));
    }

    [TestCase("scramuser", "scram-secret", SslMode.Disable, false, TestName = "SCRAM-SHA-256 over plaintext")]
    [TestCase("md5user", "md5-secret", SslMode.Disable, false, TestName = "MD5 over plaintext")]
    [TestCase("plainuser", "plain-secret", SslMode.Require, true, TestName = "Cleartext password over TLS")]
    [TestCase("scramuser", "scram-secret", SslMode.Prefer, true, TestName = "sslmode prefer uses TLS when offered")]
    [TestCase("tlsonly", "tls-secret", SslMode.Require, true, TestName = "sslmode require")]
    public async Task Proxy_logs_in_to_the_target(string user, string password, SslMode sslMode, bool expectTls)
    {
        await using var proxy = await ProxyForAsync(user, password, sslMode);
        var (currentUser, ssl) = await WhoAmIAsync(proxy);
        Assert.That(currentUser, Is.EqualTo(user));
        Assert.That(ssl, Is.EqualTo(expectTls));
    }

    [TestCase("localhost")]
    [TestCase("127.0.0.1")]
    public async Task Sslmode_verify_full_accepts_a_certificate_for_the_host_from_the_configured_ca(string host)
    {
        await using var proxy = await ProxyForAsync("tlsonly", "tls-secret", SslMode.VerifyFull, host, _certificates.CaCertificateFile);
        var (_, ssl) = await WhoAmIAsync(proxy);
        Assert.That(ssl, Is.True);
    }

    [Test]
    public async Task Sslmode_verify_full_refuses_a_certificate_from_another_ca()
    {
        using var other = TestCertificates.Create("Unrelated CA");
        await using var proxy = await ProxyForAsync("tlsonly", "tls-secret", SslMode.VerifyFull, "localhost", other.CaCertificateFile);
        var error = await Assert.ThrowsAsync<PostgresException>(() => WhoAmIAsync(proxy));
        Assert.That(error!.SqlState, Is.EqualTo("08001"));
        Assert.That(error.MessageText, Does.Contain("certificate is not acceptable"));
    }

    [Test]
    public async Task Sslmode_require_with_a_root_file_verifies_the_ca_as_libpq_does()
    {
        using var other = TestCertificates.Create("Unrelated CA");
        await using var refused = await ProxyForAsync("tlsonly", "tls-secret", SslMode.Require, "127.0.0.1", other.CaCertificateFile);
        var error = await Assert.ThrowsAsync<PostgresException>(() => WhoAmIAsync(refused));
        Assert.That(error!.SqlState, Is.EqualTo("08001"));

        await using var accepted = await ProxyForAsync("tlsonly", "tls-secret", SslMode.Require, "127.0.0.1", _certificates.CaCertificateFile);
        Assert.That((await WhoAmIAsync(accepted)).Ssl, Is.True);
    }

    [Test]
    public async Task Sslmode_disable_against_a_tls_only_user_fails_with_a_message_that_reveals_no_credentials()
    {
        await using var proxy = await ProxyForAsync("tlsonly", "tls-secret", SslMode.Disable);
        var error = await Assert.ThrowsAsync<PostgresException>(() => WhoAmIAsync(proxy));
        Assert.That(error!.SqlState, Is.EqualTo("08004"));
        Assert.That(error.ToString(), Does.Not.Contain("tlsonly").And.Not.Contain("tls-secret"));
    }

    [Test]
    public async Task A_wrong_target_password_fails_without_showing_the_target_user_or_password()
    {
        await using var proxy = await ProxyForAsync("scramuser", "not-the-password", SslMode.Disable);
        var error = await Assert.ThrowsAsync<PostgresException>(() => WhoAmIAsync(proxy));
        Assert.That(error!.SqlState, Is.EqualTo("08004"));
        Assert.That(error.MessageText, Does.Contain("could not log in to target"));
        Assert.That(error.ToString(), Does.Not.Contain("scramuser").And.Not.Contain("not-the-password"));
    }
}
