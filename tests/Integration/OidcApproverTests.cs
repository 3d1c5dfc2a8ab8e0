using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using HoopProxy.Core.Approvals;
using HoopProxy.Core.Identity;
using HoopProxy.Host;
using HoopProxy.Host.Admin;
using HoopProxy.Host.Configuration;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Policy;
using HoopProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// Approvers with OIDC access tokens: the admin API and the <c>hoopproxy approvals</c> CLI accept a token from the
/// configured provider, recognise the approver by the token's groups claim, refuse expired, foreign and revoked tokens
/// with the reason, and stop honouring a session approval once its approver is revoked. A real proxy in front of the
/// test cluster, a real Kestrel server, the CLI as its own process, and the test identity provider's tokens.
/// </summary>
public sealed class OidcApproverTests
{
    private const string DoraToken = "dora-token-0123456789abcdef";
    private const string OlgaEmail = "olga@example.test";
    private const string PiaEmail = "pia@example.test";

    private const string PolicyList = """
        [
          { "Name": "ddl-needs-approval", "Action": "Review", "Approvers": [ "dba" ], "Timeout": "00:02:00",
            "Match": { "Classes": [ "DDL" ] } }
        ]
        """;

    private static string HoopproxyDll => Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");

    /// <summary>A token of the test provider for an approver: their email (the name claim), subject and groups.</summary>
    private static string ApproverToken(TestIdentityProvider idp, string email, string subject, string[] groups, Action<JsonObject>? edit = null) =>
        idp.Mint(idp.Rsa, claims =>
        {
            claims["email"] = email;
            claims["sub"] = subject;
            claims["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)g)]);
            edit?.Invoke(claims);
        });

    /// <summary>The proxy's configuration: OIDC from the test provider, a revocation file, the admin API with one configured approver (dora, dba).</summary>
    private static string Configuration(TestIdentityProvider idp, string jwksFile, string revocationsFile, int adminPort, string approvers) => $$"""
        {
          "Postgres": {
            "Listen": "127.0.0.1:0",
            "Targets": { "bank": { "Host": "127.0.0.1", "Port": {{TestCluster.Postgres.Port}}, "Database": "bank", "Username": "app", "Password": "app-secret" } }
          },
          "Users": { "alice": { "Password": "alice-pw", "Groups": [ "analysts" ] } },
          "Policies": {{PolicyList}},
          "Identity": {
            "Oidc": { "Issuer": "{{idp.Issuer}}", "Audience": "{{TestIdentityProvider.Audience}}", "JwksFile": "{{jwksFile}}", "NameClaim": "email" },
            "RevocationsFile": "{{revocationsFile}}"
          },
          "Admin": { "Listen": "127.0.0.1:{{adminPort}}", "Approvers": { {{approvers}} } }
        }
        """;

    private static readonly string DoraApprover = $$"""  "dora": { "Token": "{{DoraToken}}", "Groups": [ "dba" ] }  """;

    /// <summary>Log lines of every category, to find the approvals audit line.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Text)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }

    /// <summary>The identity services, broker, admin server and proxy wired as the host wires them, from one configuration file the CLI reads too.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly ILoggerFactory _loggers;

        private Setup(TestIdentityProvider idp, string configFile, string revocationsFile, CapturingLoggerProvider logs, ILoggerFactory loggers,
            IdentityServices identity, ApprovalBroker broker, AdminApiServer admin, ProxyInstance proxy)
        {
            Idp = idp;
            ConfigFile = configFile;
            RevocationsFile = revocationsFile;
            Logs = logs;
            _loggers = loggers;
            Identity = identity;
            Broker = broker;
            Admin = admin;
            Proxy = proxy;
        }

        public TestIdentityProvider Idp { get; }
        public string ConfigFile { get; }
        public string RevocationsFile { get; }
        public CapturingLoggerProvider Logs { get; }
        public IdentityServices Identity { get; }
        public ApprovalBroker Broker { get; }
        public AdminApiServer Admin { get; }
        public ProxyInstance Proxy { get; }

        public static async Task<Setup> StartAsync()
        {
            var idp = TestIdentityProvider.Start();
            var jwks = idp.WriteJwksFile();
            var revocations = Path.Combine(idp.Root, "revoked.json");
            await File.WriteAllTextAsync(revocations, "{}");
            var configFile = Path.Combine(idp.Root, "hoopproxy.json");
            await File.WriteAllTextAsync(configFile, Configuration(idp, jwks, revocations, adminPort: 0, DoraApprover));
            var configuration = ProxyConfiguration.Load(configFile);
            var logs = new CapturingLoggerProvider();
            var loggers = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
            var identity = await IdentityServices.StartAsync(configuration.Identity, loggers, audit: null);
            var broker = new ApprovalBroker { Revocations = identity.Revocations };
            var admin = new AdminApiServer(configuration.Admin!, broker, loggers, identity);
            await admin.StartAsync(CancellationToken.None);
            // The CLI dials the port the system chose for the server.
            await File.WriteAllTextAsync(configFile, Configuration(idp, jwks, revocations, admin.EndPoint.Port, DoraApprover));
            var proxy = await ProxyInstance.StartAsync(policies: new PolicySource(StatementPolicyTests.Load("{ \"Policies\": " + PolicyList + " }")), approvals: broker);
            return new Setup(idp, configFile, revocations, logs, loggers, identity, broker, admin, proxy);
        }

        public HttpClient Http(string token)
        {
            var client = new HttpClient { BaseAddress = new Uri($"http://{Admin.EndPoint}/"), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public async Task<NpgsqlConnection> ConnectAsync()
        {
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Proxy.ConnectionString()) { IncludeErrorDetail = true }.ConnectionString);
            await connection.OpenAsync();
            return connection;
        }

        public async Task<ApprovalRequest> WaitForRequestAsync()
        {
            ApprovalRequest? request = null;
            Assert.That(await Poll.UntilAsync(() => Task.FromResult((request = Broker.PendingRequests.FirstOrDefault()) is not null), TimeSpan.FromSeconds(20)), Is.True,
                "the statement is held for approval");
            return request!;
        }

        /// <summary>Rewrites the revocation file and waits until the list in force has it.</summary>
        public async Task RevokeAsync(string json, Func<IdentityServices, bool> inForce)
        {
            await File.WriteAllTextAsync(RevocationsFile, json);
            Assert.That(await Poll.UntilAsync(() => Task.FromResult(inForce(Identity)), TimeSpan.FromSeconds(10)), Is.True, "the revocation list reloaded");
        }

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await Admin.StopAsync(CancellationToken.None);
            await Admin.DisposeAsync();
            Identity.Dispose();
            _loggers.Dispose();
            Idp.Dispose();
        }
    }

    /// <summary>Runs <c>hoopproxy</c>; HOOPPROXY_TOKEN is set explicitly (empty unless given) so the test's own environment cannot leak in.</summary>
    private static Task<ExternalProcess.Result> HoopproxyAsync(string[] arguments, string tokenVariable = "") =>
        ExternalProcess.RunAsync("dotnet", [HoopproxyDll, .. arguments], new Dictionary<string, string> { [ApprovalsCommand.TokenVariable] = tokenVariable },
            timeout: TimeSpan.FromMinutes(1));

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Test]
    public async Task A_token_in_the_dba_group_lists_and_approves_held_statements_through_the_api_and_the_cli()
    {
        await using var setup = await Setup.StartAsync();
        var olga = ApproverToken(setup.Idp, OlgaEmail, "00u-olga", ["dba"]);
        await using var connection = await setup.ConnectAsync();

        await using var first = new NpgsqlCommand("CREATE TEMP TABLE oidc_first (x int)", connection);
        var running = first.ExecuteNonQueryAsync();
        var request = await setup.WaitForRequestAsync();
        using var http = setup.Http(olga);
        var listed = (await BodyAsync(await http.GetAsync("v1/approvals"))).AsArray();
        Assert.That(listed.Select(r => (string?)r!["id"]), Is.EqualTo(new[] { request.Id }));
        var approved = await http.PostAsync($"v1/approvals/{request.Id}/approve", null);
        Assert.That(approved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)(await BodyAsync(approved))["message"], Is.EqualTo($"{request.Id} approved by {OlgaEmail}"), "decided by the token's name claim");
        await running;

        await using var second = new NpgsqlCommand("CREATE TEMP TABLE oidc_second (x int)", connection);
        running = second.ExecuteNonQueryAsync();
        request = await setup.WaitForRequestAsync();
        var cliList = await HoopproxyAsync(["approvals", "list", "--json", "--config", setup.ConfigFile, "--token", olga]);
        Assert.That(cliList.ExitCode, Is.Zero, cliList.Combined);
        Assert.That(JsonNode.Parse(cliList.StandardOutput)!.AsArray().Select(r => (string?)r!["id"]), Is.EqualTo(new[] { request.Id }));
        Assert.That(running.IsCompleted, Is.False, "the statement still waits");
        var cliApprove = await HoopproxyAsync(["approvals", "approve", request.Id, "--config", setup.ConfigFile], tokenVariable: olga);
        Assert.That(cliApprove.ExitCode, Is.Zero, cliApprove.Combined);
        Assert.That(cliApprove.StandardOutput.Trim(), Is.EqualTo($"{request.Id} approved by {OlgaEmail}"));
        await running;
        Assert.That(setup.Broker.PendingRequests, Is.Empty);
        Assert.That(setup.Logs.Lines.Select(l => l.Text), Has.None.Contain(olga), "the token is never logged");
        Assert.That(setup.Logs.Lines.Select(l => l.Text), Has.One.EndsWith("for 1 configured approvers and OIDC access tokens"), "the start says tokens are accepted");
    }

    [Test]
    public async Task Tokens_without_the_group_are_forbidden_and_expired_or_foreign_tokens_are_refused_with_the_reason()
    {
        await using var setup = await Setup.StartAsync();
        var analyst = ApproverToken(setup.Idp, OlgaEmail, "00u-olga", ["analysts"]);
        var now = DateTimeOffset.UtcNow;
        var expired = ApproverToken(setup.Idp, PiaEmail, "00u-pia", ["dba"], claims =>
        {
            claims["iat"] = TestIdentityProvider.Unix(now.AddHours(-2));
            claims["nbf"] = TestIdentityProvider.Unix(now.AddHours(-2));
            claims["exp"] = TestIdentityProvider.Unix(now.AddHours(-1));
        });
        var foreign = ApproverToken(setup.Idp, PiaEmail, "00u-pia", ["dba"], claims => claims["aud"] = "some-other-service");
        await using var connection = await setup.ConnectAsync();
        await using var create = new NpgsqlCommand("CREATE TEMP TABLE oidc_refused (x int)", connection);
        var running = create.ExecuteNonQueryAsync();
        var request = await setup.WaitForRequestAsync();
        var approvePath = $"v1/approvals/{request.Id}/approve";

        using var outsider = setup.Http(analyst);
        var notNamed = await outsider.PostAsync(approvePath, null);
        Assert.That(notNamed.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((string?)(await BodyAsync(notNamed))["error"], Does.StartWith($"{OlgaEmail} is not an approver for rule \"ddl-needs-approval\""));
        var outsiderList = await outsider.GetAsync("v1/approvals");
        Assert.That(outsiderList.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await BodyAsync(outsiderList)).AsArray(), Is.Empty, "a token's bearer sees only the requests a rule names them for");

        // The provider's "dora" is not the configured approver dora, whatever groups her token carries.
        using var impostor = setup.Http(ApproverToken(setup.Idp, "dora", "00u-other-dora", ["dba"]));
        var impostorApprove = await impostor.PostAsync(approvePath, null);
        Assert.That(impostorApprove.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((string?)(await BodyAsync(impostorApprove))["code"], Is.EqualTo("token-configured-user"));

        using var late = setup.Http(expired);
        var expiredList = await late.GetAsync("v1/approvals");
        Assert.That(expiredList.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(expiredList.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer error=\"invalid_token\""));
        var expiredBody = await BodyAsync(expiredList);
        Assert.That((string?)expiredBody["code"], Is.EqualTo("token-expired"));
        Assert.That((string?)expiredBody["error"], Does.StartWith("the approver token was refused: the token expired at "));
        using var elsewhere = setup.Http(foreign);
        var foreignApprove = await elsewhere.PostAsync(approvePath, null);
        Assert.That(foreignApprove.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var foreignBody = await BodyAsync(foreignApprove);
        Assert.That(((string?)foreignBody["error"], (string?)foreignBody["code"]),
            Is.EqualTo(("the approver token was refused: the token is not meant for this proxy (wrong audience)", "token-wrong-audience")));

        var expiredCli = await HoopproxyAsync(["approvals", "approve", request.Id, "--config", setup.ConfigFile, "--token", expired]);
        Assert.That(expiredCli.ExitCode, Is.EqualTo(2), expiredCli.Combined);
        Assert.That(expiredCli.StandardError, Does.Contain("did not accept the token (HTTP 401): the approver token was refused: the token expired at "));
        var foreignCli = await HoopproxyAsync(["approvals", "list", "--config", setup.ConfigFile], tokenVariable: foreign);
        Assert.That(foreignCli.ExitCode, Is.EqualTo(2), foreignCli.Combined);
        Assert.That(foreignCli.StandardError, Does.Contain("(HTTP 401): the approver token was refused: the token is not meant for this proxy (wrong audience)"));

        Assert.That(setup.Broker.PendingRequests.Select(r => r.Id), Is.EqualTo(new[] { request.Id }), "none of that decided anything");
        Assert.That(running.IsCompleted, Is.False);
        Assert.That(setup.Logs.Lines.Select(l => l.Text), Has.None.Contain(expired).And.None.Contain(foreign).And.None.Contain(analyst), "tokens are never logged");

        using var dora = setup.Http(DoraToken);
        Assert.That((await dora.PostAsJsonAsync($"v1/approvals/{request.Id}/deny", new { reason = "end of test" })).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Assert.ThrowsAsync<PostgresException>(() => running))!.SqlState, Is.EqualTo("42501"));
    }

    [Test]
    public async Task A_revoked_token_decides_nothing_and_the_session_approval_it_gave_stops_counting()
    {
        await using var setup = await Setup.StartAsync();
        const string olgaTokenId = "olga-token-1";
        var olga = ApproverToken(setup.Idp, OlgaEmail, "00u-olga", ["dba"], claims => claims["jti"] = olgaTokenId);
        var pia = ApproverToken(setup.Idp, PiaEmail, "00u-pia", ["dba"]);
        await using var connection = await setup.ConnectAsync();
        await using var command = new NpgsqlCommand("CREATE TEMP TABLE IF NOT EXISTS oidc_standing (x int)", connection);
        using var olgaHttp = setup.Http(olga);

        var running = command.ExecuteNonQueryAsync();
        var standing = await setup.WaitForRequestAsync();
        var approved = await olgaHttp.PostAsJsonAsync($"v1/approvals/{standing.Id}/approve", new { scope = "session", window = "00:10:00" });
        Assert.That(approved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await running;
        running = command.ExecuteNonQueryAsync();
        Assert.That(await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(20))), Is.SameAs(running), "the session approval lets it run again");
        await running;
        Assert.That(setup.Broker.PendingRequests, Is.Empty, "without asking");

        await setup.RevokeAsync($$"""{ "tokenIds": [ "{{olgaTokenId}}" ] }""", identity => identity.Revocations.IsRevoked(tokenId: olgaTokenId) is not null);

        running = command.ExecuteNonQueryAsync();
        var again = await setup.WaitForRequestAsync();
        Assert.That((again.Statement, running.IsCompleted), Is.EqualTo(("CREATE TEMP TABLE IF NOT EXISTS oidc_standing (x int)", false)), "held for approval again");
        var audit = setup.Logs.Lines.Where(l => l.Category == "HoopProxy.Approvals" && l.Level == LogLevel.Warning && l.Text.Contains(standing.Id, StringComparison.Ordinal)).ToList();
        Assert.That(audit.Select(l => l.Text).Single(), Does.Contain("(for the session) no longer counts, its approver is revoked")
            .And.Contain($"approver {OlgaEmail}").And.Contain($"token '{olgaTokenId}' has been revoked"));

        var refused = await olgaHttp.PostAsync($"v1/approvals/{again.Id}/approve", null);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var refusedBody = await BodyAsync(refused);
        Assert.That(((string?)refusedBody["error"], (string?)refusedBody["code"]),
            Is.EqualTo(($"the approver token was refused: token '{olgaTokenId}' has been revoked", "token-revoked")));
        var refusedCli = await HoopproxyAsync(["approvals", "deny", again.Id, "--reason", "changed my mind", "--config", setup.ConfigFile], tokenVariable: olga);
        Assert.That(refusedCli.ExitCode, Is.EqualTo(2), refusedCli.Combined);
        Assert.That(refusedCli.StandardError, Does.Contain($"(HTTP 401): the approver token was refused: token '{olgaTokenId}' has been revoked"));
        Assert.That(running.IsCompleted, Is.False, "still waiting for someone who may decide");

        using var piaHttp = setup.Http(pia);
        Assert.That((await piaHttp.PostAsync($"v1/approvals/{again.Id}/approve", null)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await running;
    }

    [Test]
    public async Task A_configured_approver_on_the_users_list_is_refused_and_their_session_approvals_lapse()
    {
        await using var setup = await Setup.StartAsync();
        await using var connection = await setup.ConnectAsync();
        await using var command = new NpgsqlCommand("CREATE TEMP TABLE IF NOT EXISTS static_standing (x int)", connection);
        using var dora = setup.Http(DoraToken);

        var running = command.ExecuteNonQueryAsync();
        var standing = await setup.WaitForRequestAsync();
        var approved = await dora.PostAsJsonAsync($"v1/approvals/{standing.Id}/approve", new { scope = "session", window = "00:10:00" });
        Assert.That((string?)(await BodyAsync(approved))["message"], Is.EqualTo($"{standing.Id} approved by dora"), "configured tokens keep working beside OIDC");
        await running;
        running = command.ExecuteNonQueryAsync();
        Assert.That(await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(20))), Is.SameAs(running), "the session approval lets it run again");
        await running;

        await setup.RevokeAsync("""{ "users": [ "dora" ] }""", identity => identity.Revocations.IsRevoked(user: "dora") is not null);

        running = command.ExecuteNonQueryAsync();
        var again = await setup.WaitForRequestAsync();
        var refused = await dora.PostAsJsonAsync($"v1/approvals/{again.Id}/deny", new { reason = "no" });
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((string?)(await BodyAsync(refused))["error"], Is.EqualTo("the approver token was refused: the credentials of user 'dora' have been revoked"));

        using var olga = setup.Http(ApproverToken(setup.Idp, OlgaEmail, "00u-olga", ["dba"]));
        Assert.That((await olga.PostAsJsonAsync($"v1/approvals/{again.Id}/deny", new { reason = "dora is gone" })).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var error = await Assert.ThrowsAsync<PostgresException>(() => running);
        Assert.That((error!.SqlState, error.MessageText, error.Detail), Is.EqualTo(("42501", $"statement denied by {OlgaEmail} (request {again.Id})", "dora is gone")));
    }

    [Test]
    public async Task The_host_gives_its_admin_api_the_token_logins_and_its_broker_the_revocation_list()
    {
        const string table = "t_oidc_host";
        await TestCluster.DropTableAsync(table);
        using var idp = TestIdentityProvider.Start();
        var revocations = Path.Combine(idp.Root, "revoked.json");
        await File.WriteAllTextAsync(revocations, "{}");
        var configFile = Path.Combine(idp.Root, "hoopproxy.json");
        // No configured approvers: with Identity:Oidc they come with their tokens.
        await File.WriteAllTextAsync(configFile, Configuration(idp, idp.WriteJwksFile(), revocations, adminPort: 0, approvers: ""));
        var configuration = ProxyConfiguration.Load(configFile);
        Assert.That(configuration.Admin!.Approvers, Is.Empty);
        using var loggers = LoggerFactory.Create(_ => { });
        using var identity = await IdentityServices.StartAsync(configuration.Identity, loggers, audit: null);
        using var host = ProxyHostBuilder.Build(configuration, identity: identity);
        await host.StartAsync();
        try
        {
            Assert.That(host.Services.GetRequiredService<ApprovalBroker>().Revocations, Is.SameAs(identity.Revocations));
            var admin = host.Services.GetRequiredService<AdminApiServer>();
            var postgres = host.Services.GetRequiredService<PostgresProxyService>();
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = postgres.LocalEndPoint.Port,
                Username = "alice",
                Password = "alice-pw",
                Database = "bank",
                SslMode = SslMode.Disable,
                Pooling = false,
            }.ConnectionString);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE TABLE {table} (x int)", connection);
            var running = create.ExecuteNonQueryAsync();

            using var olga = new HttpClient { BaseAddress = new Uri($"http://{admin.EndPoint}/") };
            olga.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApproverToken(idp, OlgaEmail, "00u-olga", ["dba"]));
            JsonArray pending = [];
            Assert.That(await Poll.UntilAsync(async () => (pending = JsonNode.Parse(await olga.GetStringAsync("v1/approvals"))!.AsArray()).Count > 0, TimeSpan.FromSeconds(20)),
                Is.True, "the host's admin API accepts the token");
            var approved = await olga.PostAsync($"v1/approvals/{(string)pending.Single()!["id"]!}/approve", null);
            Assert.That(approved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await running;
            Assert.That(await TestCluster.TableExistsAsync(table), Is.True);
        }
        finally
        {
            await host.StopAsync();
            await TestCluster.DropTableAsync(table);
        }
    }
}
