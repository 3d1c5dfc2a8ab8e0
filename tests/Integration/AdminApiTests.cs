using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using HoopProxy.Core.Approvals;
using HoopProxy.Host;
using HoopProxy.Host.Admin;
using HoopProxy.Host.Configuration;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Policy;
using HoopProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// Approvers decide held statements through the admin HTTP API and the <c>hoopproxy approvals</c> CLI: a real Kestrel server,
/// a real proxy session, the CLI run as its own process. Only the rule's approvers may decide, never their own request,
/// and only with a valid token.
/// </summary>
public sealed class AdminApiTests
{
    private const string DoraToken = "dora-token-0123456789abcdef";
    private const string AliceToken = "alice-token-0123456789abcdef";
    private const string MalloryToken = "mallory-token-0123456789abcdef";

    private const string PolicyList = """
        [
          { "Name": "ddl-needs-approval", "Action": "Review", "Approvers": [ "dba" ], "Timeout": "00:02:00",
            "Match": { "Classes": [ "DDL" ] } }
        ]
        """;

    private const string Rules = "{ \"Policies\": " + PolicyList + " }";

    private static string HoopproxyDll => Path.Combine(AppContext.BaseDirectory, "hoopproxy.dll");

    /// <summary>
    /// A proxy configuration for the CLI and the admin server: dora decides for dba; alice is in dba too but is also the
    /// proxy user who asks; mallory (token given as its digest) is no approver of the rule.
    /// </summary>
    private static string Configuration(int adminPort, bool withAdmin = true)
    {
        var mallory = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(MalloryToken)));
        var admin = $$"""
            ,
            "Admin": {
              "Listen": "127.0.0.1:{{adminPort}}",
              "Approvers": {
                "dora": { "Token": "{{DoraToken}}", "Groups": [ "dba" ] },
                "alice": { "Token": "{{AliceToken}}", "Groups": [ "dba" ] },
                "mallory": { "TokenSha256": "{{mallory}}", "Groups": [ "analysts" ] }
              }
            }
            """;
        return $$"""
            {
              "Postgres": { "Listen": "127.0.0.1:0", "Targets": { "bank": { "Host": "127.0.0.1", "Database": "bank", "Username": "app" } } }
              {{(withAdmin ? admin : "")}}
            }
            """;
    }

    /// <summary>The broker, the admin server and the proxy, wired as the host wires them, and the CLI's configuration file.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly string _directory;

        private Setup(string directory, ApprovalBroker broker, AdminApiServer admin, ProxyInstance proxy)
        {
            _directory = directory;
            Broker = broker;
            Admin = admin;
            Proxy = proxy;
        }

        public ApprovalBroker Broker { get; }

        public AdminApiServer Admin { get; }

        public ProxyInstance Proxy { get; }

        public string ConfigFile => Path.Combine(_directory, "hoopproxy.json");

        public static async Task<Setup> StartAsync()
        {
            var directory = Path.Combine(Path.GetTempPath(), "hoopproxy-admin-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(directory);
            var configFile = Path.Combine(directory, "hoopproxy.json");
            await File.WriteAllTextAsync(configFile, Configuration(adminPort: 0));
            var broker = new ApprovalBroker();
            var admin = new AdminApiServer(ProxyConfiguration.Load(configFile).Admin!, broker, NullLoggerFactory.Instance);
            await admin.StartAsync(CancellationToken.None);
            // The CLI dials the port the system chose for the server.
            await File.WriteAllTextAsync(configFile, Configuration(admin.EndPoint.Port));
            var proxy = await ProxyInstance.StartAsync(policies: new PolicySource(StatementPolicyTests.Load(Rules)), approvals: broker);
            return new Setup(directory, broker, admin, proxy);
        }

        /// <summary>A plain HTTP client on the admin API, with a bearer token when given one.</summary>
        public HttpClient Http(string? token)
        {
            var client = new HttpClient { BaseAddress = new Uri($"http://{Admin.EndPoint}/"), Timeout = TimeSpan.FromSeconds(30) };
            if (token is not null)
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return client;
        }

        public async Task<ApprovalRequest> WaitForRequestAsync()
        {
            ApprovalRequest? request = null;
            Assert.That(await Poll.UntilAsync(() => Task.FromResult((request = Broker.PendingRequests.FirstOrDefault()) is not null), TimeSpan.FromSeconds(20)), Is.True,
                "the statement is held for approval");
            return request!;
        }

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await Admin.StopAsync(CancellationToken.None);
            await Admin.DisposeAsync();
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Runs <c>hoopproxy</c>; HOOPPROXY_TOKEN is set explicitly (empty unless given) so the test's own environment cannot leak in.</summary>
    private static Task<ExternalProcess.Result> HoopproxyAsync(string[] arguments, string tokenVariable = "") =>
        ExternalProcess.RunAsync("dotnet", [HoopproxyDll, .. arguments], new Dictionary<string, string> { [ApprovalsCommand.TokenVariable] = tokenVariable },
            timeout: TimeSpan.FromMinutes(1));

    [Test]
    public async Task Psql_waits_until_an_approver_lists_and_approves_the_request_with_the_cli()
    {
        const string table = "t_admin_approved";
        await TestCluster.DropTableAsync(table);
        await using var setup = await Setup.StartAsync();
        var psql = ExternalProcess.RunAsync("psql", ["-X", "-c", $"CREATE TABLE {table} (x int)"], setup.Proxy.LibpqEnvironment());
        var request = await setup.WaitForRequestAsync();

        var listed = await HoopproxyAsync(["approvals", "list", "--json", "--config", setup.ConfigFile, "--token", DoraToken]);
        Assert.That(listed.ExitCode, Is.Zero, listed.Combined);
        var shown = JsonNode.Parse(listed.StandardOutput)!.AsArray().Single()!.AsObject();
        Assert.That(shown.Select(p => p.Key), Is.EqualTo(new[] { "id", "session", "protocol", "target", "requester", "statement", "rule", "approvers", "requested_at", "expires_at" }));
        Assert.That((string?)shown["id"], Is.EqualTo(request.Id));
        Assert.That(((string?)shown["session"], (string?)shown["protocol"], (string?)shown["target"], (string?)shown["requester"]),
            Is.EqualTo((request.SessionId, "postgres", TestCluster.TargetDatabase, ProxyInstance.UserName)));
        Assert.That(((string?)shown["statement"], (string?)shown["rule"], shown["approvers"]!.AsArray().Select(a => (string?)a).Single()),
            Is.EqualTo(($"CREATE TABLE {table} (x int)", "ddl-needs-approval", "dba")));
        Assert.That(DateTimeOffset.Parse((string)shown["expires_at"]!, CultureInfo.InvariantCulture), Is.EqualTo(request.ExpiresAt));

        var text = await HoopproxyAsync(["approvals", "list", "--config", setup.ConfigFile, "--token", DoraToken]);
        Assert.That(text.ExitCode, Is.Zero, text.Combined);
        var lines = text.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.Match(@"^ID\s+AGE\s+REQUESTER\s+TARGET\s+RULE\s+STATEMENT$"));
        Assert.That(lines[1], Does.Match($@"^{request.Id}\s+\d+s\s+alice\s+bank\s+ddl-needs-approval\s+CREATE TABLE {table} \(x int\)$"));
        Assert.That(psql.IsCompleted, Is.False, "psql still waits");

        var approved = await HoopproxyAsync(["approvals", "approve", request.Id, "--config", setup.ConfigFile, "--token", DoraToken]);
        Assert.That(approved.ExitCode, Is.Zero, approved.Combined);
        Assert.That(approved.StandardOutput.Trim(), Is.EqualTo($"{request.Id} approved by dora"));

        var result = await psql;
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardError, Does.Contain($"statement held for approval: request {request.Id}"));
        Assert.That(result.StandardOutput, Does.Contain("CREATE TABLE"));
        Assert.That(await TestCluster.TableExistsAsync(table), Is.True);
        Assert.That(setup.Broker.PendingRequests, Is.Empty);
        await TestCluster.DropTableAsync(table);
    }

    [Test]
    public async Task A_denial_through_the_cli_reaches_the_client_as_42501_with_the_reason()
    {
        const string table = "t_admin_denied";
        await TestCluster.DropTableAsync(table);
        await using var setup = await Setup.StartAsync();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(setup.Proxy.ConnectionString()) { IncludeErrorDetail = true }.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE TABLE {table} (x int)", connection);
        var running = create.ExecuteNonQueryAsync();
        var request = await setup.WaitForRequestAsync();

        // The token comes from the environment this time, as the docs recommend.
        var denied = await HoopproxyAsync(["approvals", "deny", request.Id, "--reason", "not during business hours", "--config", setup.ConfigFile], tokenVariable: DoraToken);
        Assert.That(denied.ExitCode, Is.Zero, denied.Combined);
        Assert.That(denied.StandardOutput.Trim(), Is.EqualTo($"{request.Id} denied by dora"));

        var error = await Assert.ThrowsAsync<PostgresException>(() => running);
        Assert.That((error!.SqlState, error.MessageText), Is.EqualTo(("42501", $"statement denied by dora (request {request.Id})")));
        Assert.That(error.Detail, Is.EqualTo("not during business hours"));
        Assert.That(await TestCluster.TableExistsAsync(table), Is.False);
    }

    [Test]
    public async Task Self_approval_outsiders_bad_tokens_unknown_ids_and_bad_bodies_are_refused_and_decide_nothing()
    {
        const string table = "t_admin_refused";
        await TestCluster.DropTableAsync(table);
        await using var setup = await Setup.StartAsync();
        await using var connection = new NpgsqlConnection(setup.Proxy.ConnectionString());
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE TABLE {table} (x int)", connection);
        var running = create.ExecuteNonQueryAsync();
        var request = await setup.WaitForRequestAsync();
        var approvePath = $"v1/approvals/{request.Id}/approve";

        // alice is in dba, but she asked.
        var self = await HoopproxyAsync(["approvals", "approve", request.Id, "--config", setup.ConfigFile, "--token", AliceToken]);
        Assert.That(self.ExitCode, Is.EqualTo(1), self.Combined);
        Assert.That(self.StandardError, Does.Contain("HTTP 403").And.Contain("alice cannot decide their own request"));

        using var mallory = setup.Http(MalloryToken);
        var outsider = await mallory.PostAsync(approvePath, null);
        Assert.That(outsider.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((string?)JsonNode.Parse(await outsider.Content.ReadAsStringAsync())!["error"],
            Does.StartWith("mallory is not an approver for rule \"ddl-needs-approval\""));

        using var anonymous = setup.Http(null);
        var missing = await anonymous.GetAsync("v1/approvals");
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(missing.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        using var wrong = setup.Http("not-anybodys-token-at-all");
        var forged = await wrong.PostAsync(approvePath, null);
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(forged.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        using var jwtShaped = setup.Http("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
        var withoutOidc = await jwtShaped.GetAsync("v1/approvals");
        Assert.That(withoutOidc.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((string?)JsonNode.Parse(await withoutOidc.Content.ReadAsStringAsync())!["error"],
            Does.EndWith("OIDC access tokens are accepted only when Identity:Oidc is configured"), "an access token is not silently taken for an unknown approver token");
        var wrongCli = await HoopproxyAsync(["approvals", "approve", request.Id, "--config", setup.ConfigFile, "--token", "not-anybodys-token-at-all"]);
        Assert.That(wrongCli.ExitCode, Is.EqualTo(2), wrongCli.Combined);
        Assert.That(wrongCli.StandardError, Does.Contain("did not accept the token (HTTP 401)"));

        using var dora = setup.Http(DoraToken);
        var unknown = await dora.PostAsync("v1/approvals/apr-0000000000/approve", null);
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((string?)JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["error"], Does.Contain("no pending request apr-0000000000"));

        (object Body, string Path, string Problem)[] badBodies =
        [
            (new { }, $"v1/approvals/{request.Id}/deny", "a denial needs a reason"),
            (new { scope = "session" }, approvePath, "a session approval needs a window"),
            (new { scope = "forever" }, approvePath, "scope 'forever' is not once or session"),
            (new { scope = "once", window = "00:10:00" }, approvePath, "a window only applies to scope session"),
            (new { scope = "session", window = "ten minutes" }, approvePath, "window 'ten minutes' is not a duration"),
            (new { scop = "session" }, approvePath, "not valid JSON for this request"),
        ];
        foreach (var (body, path, problem) in badBodies)
        {
            var refused = await dora.PostAsJsonAsync(path, body);
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), path);
            Assert.That((string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"], Does.Contain(problem));
        }

        Assert.That((await anonymous.GetAsync("v1/health")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "health needs no token");
        Assert.That(setup.Broker.PendingRequests.Select(r => r.Id), Is.EqualTo(new[] { request.Id }), "none of that decided anything");
        Assert.That(running.IsCompleted, Is.False);
        Assert.That(await TestCluster.TableExistsAsync(table), Is.False);

        var approved = await dora.PostAsJsonAsync(approvePath, new { scope = "session", window = "00:10:00" });
        Assert.That(approved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)JsonNode.Parse(await approved.Content.ReadAsStringAsync())!["message"], Is.EqualTo($"{request.Id} approved by dora"));
        await running;
        Assert.That(await TestCluster.TableExistsAsync(table), Is.True);
        var again = await dora.PostAsync(approvePath, null);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a decided request is gone");
        await TestCluster.DropTableAsync(table);
    }

    [Test]
    public async Task The_host_built_from_a_configuration_with_an_admin_section_holds_statements_for_its_admin_api()
    {
        const string table = "t_admin_host";
        await TestCluster.DropTableAsync(table);
        var directory = Path.Combine(Path.GetTempPath(), "hoopproxy-admin-host-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var configFile = Path.Combine(directory, "hoopproxy.json");
        await File.WriteAllTextAsync(configFile, $$"""
            {
              "Postgres": {
                "Listen": "127.0.0.1:0",
                "Targets": { "bank": { "Host": "127.0.0.1", "Port": {{TestCluster.Postgres.Port}}, "Database": "bank", "Username": "app", "Password": "app-secret" } }
              },
              "Users": { "alice": { "Password": "alice-pw", "Groups": [ "analysts" ] } },
              "Policies": {{PolicyList}},
              "Admin": { "Listen": "127.0.0.1:0", "Approvers": { "dora": { "Token": "{{DoraToken}}", "Groups": [ "dba" ] } } }
            }
            """);
        try
        {
            using var host = ProxyHostBuilder.Build(ProxyConfiguration.Load(configFile));
            await host.StartAsync();
            try
            {
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
                    IncludeErrorDetail = true,
                }.ConnectionString);
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE TABLE {table} (x int)", connection);
                var running = create.ExecuteNonQueryAsync();

                using var dora = new HttpClient { BaseAddress = new Uri($"http://{admin.EndPoint}/") };
                dora.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DoraToken);
                JsonArray pending = [];
                Assert.That(await Poll.UntilAsync(async () => (pending = JsonNode.Parse(await dora.GetStringAsync("v1/approvals"))!.AsArray()).Count > 0, TimeSpan.FromSeconds(20)),
                    Is.True, "the host's proxy holds the statement with the host's broker");
                var id = (string)pending.Single()!["id"]!;
                var denied = await dora.PostAsJsonAsync($"v1/approvals/{id}/deny", new { reason = "wired through the host" });
                Assert.That(denied.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                var error = await Assert.ThrowsAsync<PostgresException>(() => running);
                Assert.That((error!.SqlState, error.Detail), Is.EqualTo(("42501", "wired through the host")));
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task The_cli_tells_usage_configuration_token_and_connection_problems_apart_with_exit_2()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hoopproxy-admin-cli-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            var nobodyListens = LocalPostgresCluster.FreeTcpPort();
            var unreachable = Path.Combine(directory, "unreachable.json");
            await File.WriteAllTextAsync(unreachable, Configuration(nobodyListens));
            var noAdmin = Path.Combine(directory, "no-admin.json");
            await File.WriteAllTextAsync(noAdmin, Configuration(0, withAdmin: false));

            var refused = await HoopproxyAsync(["approvals", "list", "--config", unreachable, "--token", DoraToken]);
            Assert.That(refused.ExitCode, Is.EqualTo(2), refused.Combined);
            Assert.That(refused.StandardError.Trim(), Is.EqualTo(
                $"cannot reach the admin API at 127.0.0.1:{nobodyListens}: connection refused — is the proxy running with an Admin section?"));

            var withoutAdmin = await HoopproxyAsync(["approvals", "list", "--config", noAdmin, "--token", DoraToken]);
            Assert.That(withoutAdmin.ExitCode, Is.EqualTo(2), withoutAdmin.Combined);
            Assert.That(withoutAdmin.StandardError, Does.Contain("no Admin section"));

            var withoutToken = await HoopproxyAsync(["approvals", "list", "--config", unreachable]);
            Assert.That(withoutToken.ExitCode, Is.EqualTo(2), withoutToken.Combined);
            Assert.That(withoutToken.StandardError, Does.Contain($"pass --token or set {ApprovalsCommand.TokenVariable}"));

            var withoutReason = await HoopproxyAsync(["approvals", "deny", "apr-0000000000", "--config", unreachable, "--token", DoraToken]);
            Assert.That(withoutReason.ExitCode, Is.EqualTo(2), withoutReason.Combined);
            Assert.That(withoutReason.StandardError, Does.Contain("--reason"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
