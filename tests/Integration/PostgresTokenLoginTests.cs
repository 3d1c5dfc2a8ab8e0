using System.Diagnostics;
using HoopProxy.Core.Audit;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// OIDC access tokens as the PostgreSQL password, through the proxy with TLS, with psql, pgbench and Npgsql: accepted
/// when valid, refused with the reason otherwise (and on a plaintext connection before the token is sent), and a live
/// session ended when its token is revoked or expires.
/// </summary>
public sealed class PostgresTokenLoginTests
{
    private const string TokenUser = TestIdentityProvider.UserEmail;
    private TestCertificates _certificates = null!;
    private TestIdentityServices _identity = null!;
    private ProxyInstance _proxy = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _certificates = TestCertificates.Create();
        // MaxTokenAge 2 h so "too old" can be shown with a token that has not expired; a small skew so expiry tests are quick.
        _identity = await TestIdentityServices.StartAsync(o => o with { MaxTokenAge = TimeSpan.FromHours(2), ClockSkew = TimeSpan.FromSeconds(1) });
        _proxy = await ProxyInstance.StartAsync(o => o with { Tls = _certificates.ProxyTlsOptions }, identity: _identity.Services);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _proxy.DisposeAsync();
        _identity.Dispose();
        _certificates.Dispose();
    }

    private Dictionary<string, string> Libpq(string token, string sslMode = "require", string user = TokenUser)
    {
        var environment = _proxy.LibpqEnvironment(user, token);
        environment["PGSSLMODE"] = sslMode;
        return environment;
    }

    private Task<ExternalProcess.Result> PsqlAsync(string token, string sql = "SELECT current_user", string sslMode = "require", string user = TokenUser) =>
        ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", sql], Libpq(token, sslMode, user));

    [Test]
    public async Task A_valid_token_logs_psql_in_over_tls_as_the_target_account()
    {
        var result = await PsqlAsync(_identity.Mint());
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput.Trim(), Is.EqualTo(TestCluster.TargetUser), "the proxy logged in to the target with its own account");
    }

    [Test]
    public async Task An_es256_token_logs_npgsql_in()
    {
        var token = _identity.Provider.Mint(_identity.Provider.Ec);
        await using var connection = new NpgsqlConnection(_proxy.ConnectionString(TokenUser, token, sslMode: SslMode.Require));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 40 + 2", connection);
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(42));
    }

    [Test]
    public async Task Keys_from_the_providers_discovery_document_log_psql_in_and_a_rotated_key_is_fetched()
    {
        using var identity = await TestIdentityServices.StartAsync(discovery: true);
        await using var proxy = await ProxyInstance.StartAsync(o => o with { Tls = _certificates.ProxyTlsOptions }, identity: identity.Services);
        var environment = proxy.LibpqEnvironment(TokenUser, identity.Mint());
        environment["PGSSLMODE"] = "require";
        var result = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT current_user"], environment);
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(identity.Provider.DiscoveryRequests, Is.EqualTo(1));

        // The provider rotates to a new key: the first token signed with it makes the proxy fetch the keys again.
        var rotated = identity.Provider.NewKey(TestKeyType.EcP256, "ec-rotated");
        environment["PGPASSWORD"] = identity.Provider.Mint(rotated);
        var afterRotation = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT current_user"], environment);
        Assert.That(afterRotation.ExitCode, Is.Zero, afterRotation.Combined);
        Assert.That(identity.Provider.JwksRequests, Is.EqualTo(2));
    }

    [Test]
    public async Task A_token_cannot_take_the_name_of_a_configured_user()
    {
        // carol is configured with an SSH key only: a PostgreSQL login as carol is a token login, and a provider's user
        // whose name claim says "carol" must not become her.
        var users = new HoopProxy.Core.Identity.UserDirectory([new HoopProxy.Core.Identity.ProxyUser("carol", null, ["dba"])
            { AuthorizedKeys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl carol@laptop"] }]);
        await using var proxy = await ProxyInstance.StartAsync(o => o with { Tls = _certificates.ProxyTlsOptions }, users: users, identity: _identity.Services);
        var environment = proxy.LibpqEnvironment("carol", _identity.Mint(c => c["email"] = "carol"));
        environment["PGSSLMODE"] = "require";
        var result = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT 1"], environment);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.StandardError, Does.Contain("FATAL:  the access token names \"carol\", a user configured in the proxy"));
    }

    [Test]
    public async Task Configured_users_keep_their_passwords_beside_tokens()
    {
        var result = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT 1"], _proxy.LibpqEnvironment());
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput.Trim(), Is.EqualTo("1"));
    }

    [Test]
    public async Task A_plaintext_connection_is_refused_before_the_token_is_sent()
    {
        var result = await PsqlAsync(_identity.Mint(), sslMode: "disable");
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.StandardError, Does.Contain("accepts only over TLS: connect with sslmode=require"));
    }

    private static IEnumerable<TestCaseData> Refusals()
    {
        var now = DateTimeOffset.UtcNow;
        yield return Case("expired", p => p.Mint(p.Rsa, c => { c["iat"] = Unix(now.AddHours(-1)); c["nbf"] = Unix(now.AddHours(-1)); c["exp"] = Unix(now.AddMinutes(-5)); }),
            "the token expired at");
        yield return Case("not yet valid", p => p.Mint(p.Rsa, c => c["nbf"] = Unix(now.AddMinutes(10))), "the token is not valid before");
        yield return Case("wrong audience", p => p.Mint(p.Rsa, c => c["aud"] = "another-api"), "wrong audience");
        yield return Case("wrong issuer", p => p.Mint(p.Rsa, c => c["iss"] = "https://evil.example.test"), "wrong issuer");
        yield return Case("unknown key", p => p.Mint(p.NewKey(TestKeyType.Rsa, "rsa-unpublished", publish: false)), "unknown key (kid 'rsa-unpublished')");
        yield return Case("tampered signature", p => Tamper(p.Mint(p.Rsa)), "the token's signature is not valid");
        yield return Case("alg none", p => p.MintUnsigned(), "signing algorithm 'none' is not accepted");
        yield return Case("HMAC with the public key", p => p.MintHmacWithPublicKey(p.Rsa), "signing algorithm 'HS256' is not accepted");
        yield return Case("too old", p => p.Mint(p.Rsa, c => { c["iat"] = Unix(now.AddHours(-3)); c["nbf"] = Unix(now.AddHours(-3)); }),
            "more than 02:00:00 ago; get a new one");
        yield return Case("for another user", p => p.Mint(p.Rsa, c => c["email"] = "bob@example.test"),
            "the access token is for \"bob@example.test\", not for user \"alice@example.test\"");
    }

    private static TestCaseData Case(string name, Func<TestIdentityProvider, string> mint, string message) =>
        new TestCaseData(mint, message).SetArgDisplayNames(name);

    private static long Unix(DateTimeOffset time) => TestIdentityProvider.Unix(time);

    /// <summary>The payload changed after signing: alice's token made to say she is in the dba group.</summary>
    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var claims = System.Text.Json.Nodes.JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]))!;
        claims["groups"] = new System.Text.Json.Nodes.JsonArray("dba");
        return parts[0] + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(claims.ToJsonString()) + "." + parts[2];
    }

    [TestCaseSource(nameof(Refusals))]
    public async Task A_bad_token_is_refused_with_its_reason(Func<TestIdentityProvider, string> mint, string message)
    {
        var result = await PsqlAsync(mint(_identity.Provider));
        Assert.That(result.ExitCode, Is.Not.Zero, result.Combined);
        Assert.That(result.StandardError, Does.Contain(message));
        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public async Task Revoking_the_token_ends_a_running_pgbench_within_a_second_and_refuses_new_logins()
    {
        var token = _identity.Mint();
        var script = Path.Combine(_identity.Provider.Root, "select.sql");
        await File.WriteAllTextAsync(script, "SELECT 1;\n");
        var pgbench = ExternalProcess.RunAsync("pgbench", ["-n", "-f", script, "-c", "2", "-j", "2", "-T", "60"], Libpq(token),
            timeout: TimeSpan.FromSeconds(90));
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(_proxy.ActiveSessions >= 2), TimeSpan.FromSeconds(15)), Is.True, "pgbench's two sessions started");
        await Task.Delay(500);
        Assert.That(pgbench.IsCompleted, Is.False, "pgbench runs until the token is revoked");

        var revokedAt = Stopwatch.StartNew();
        await _identity.RevokeTokenAsync(TestIdentityServices.TokenIdOf(token));
        var result = await pgbench;
        var ended = revokedAt.Elapsed;
        TestContext.Out.WriteLine($"pgbench ended {ended.TotalMilliseconds:0} ms after the revocation file was replaced");

        Assert.That(result.ExitCode, Is.Not.Zero, "pgbench's clients were cut off");
        Assert.That(result.StandardError, Does.Contain("terminating connection: token '" + TestIdentityServices.TokenIdOf(token) + "' has been revoked"));
        // The list is re-read within ~0.5 s (watcher, or the poll); the margin is for a loaded CI machine, the figure is printed above.
        Assert.That(ended, Is.LessThan(TimeSpan.FromSeconds(3)));

        var again = await PsqlAsync(token);
        Assert.That(again.ExitCode, Is.Not.Zero);
        Assert.That(again.StandardError, Does.Contain("has been revoked"));
    }

    [Test]
    public async Task Revoking_a_configured_user_ends_their_running_statement_and_refuses_their_password()
    {
        await using var connection = new NpgsqlConnection(_proxy.ConnectionString("bob", "bob-pw"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_sleep(30)", connection);
        var running = command.ExecuteScalarAsync();
        await Task.Delay(500);

        var watch = Stopwatch.StartNew();
        // Listed in capitals: user names are matched ignoring case, and the reason names the user as the client did.
        await _identity.RevokeUserAsync("BOB");
        var error = await Assert.ThrowsAsync<PostgresException>(() => running);
        TestContext.Out.WriteLine($"bob's statement ended {watch.ElapsedMilliseconds} ms after the revocation file was replaced");
        Assert.That((error!.SqlState, error.MessageText), Is.EqualTo(("28000", "terminating connection: the credentials of user 'bob' have been revoked")));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)), "ended under the statement, not after its 30 s");
        await using (var check = new NpgsqlConnection(_proxy.ConnectionString()))
        {
            await check.OpenAsync();
            await using var sleeping = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'", check);
            Assert.That(await Poll.UntilAsync(async () => (long)(await sleeping.ExecuteScalarAsync())! == 0, TimeSpan.FromSeconds(5)), Is.True,
                "the statement was cancelled on the target too");
        }

        var again = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT 1"], _proxy.LibpqEnvironment("bob", "bob-pw"));
        Assert.That(again.ExitCode, Is.Not.Zero);
        Assert.That(again.StandardError, Does.Contain("FATAL:  the credentials of user 'bob' have been revoked"));
    }

    [Test]
    public async Task A_session_ends_when_its_token_expires()
    {
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(4);
        var token = _identity.Mint(c => c["exp"] = Unix(expiresAt));
        await using var connection = new NpgsqlConnection(_proxy.ConnectionString(TokenUser, token, sslMode: SslMode.Require));
        await connection.OpenAsync();
        await using (var before = new NpgsqlCommand("SELECT 1", connection))
        {
            Assert.That(await before.ExecuteScalarAsync(), Is.EqualTo(1));
        }

        // A statement that would outlast the token: the session ends under it at expiry, not when it finishes.
        await using var command = new NpgsqlCommand("SELECT pg_sleep(30)", connection);
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.That(error!.SqlState, Is.EqualTo("28000"));
        Assert.That(error.MessageText, Does.Contain("terminating connection: the session's token expired at " + expiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ")));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(15)), "ended at expiry, well before pg_sleep(30) returned");

        // New logins honour the clock skew (1 s here) that the session's end does not: wait it out.
        var pastSkew = expiresAt.AddSeconds(2) - DateTimeOffset.UtcNow;
        if (pastSkew > TimeSpan.Zero)
        {
            await Task.Delay(pastSkew);
        }

        var again = await PsqlAsync(token);
        Assert.That(again.ExitCode, Is.Not.Zero);
        Assert.That(again.StandardError, Does.Contain("the token expired at"));
    }
}
