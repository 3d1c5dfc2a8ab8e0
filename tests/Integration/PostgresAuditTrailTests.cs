using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Policy;
using HoopProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// The audit trail of PostgreSQL sessions through psql and a real server, without a session recording: the login, each
/// statement with its relations and its outcome (an error with its SQLSTATE), a statement the policy blocks, and the
/// end, each with the identity, origin and target; the chain verifies.
/// </summary>
public sealed class PostgresAuditTrailTests
{
    [Test]
    public async Task Logins_statements_their_outcomes_a_blocked_one_and_the_end_are_in_the_trail()
    {
        var directory = Directory.CreateTempSubdirectory("hoopproxy-pg-audit-").FullName;
        try
        {
            var key = RecordingSigningKey.Generate(Path.Combine(directory, "audit.key"));
            var file = Path.Combine(directory, "audit.jsonl");
            await using (var audit = await AuditLog.OpenAsync(new AuditOptions(file, Path.Combine(directory, "audit.key"), TimeSpan.FromHours(1), 1000, true,
                1024, TimeSpan.FromSeconds(5)), NullLogger.Instance))
            {
                await using var proxy = await ProxyInstance.StartAsync(policies: new PolicySource(StatementPolicyTests.Load(StatementPolicyTests.IssueRules)),
                    audit: audit);
                var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", "SELECT 1", "-c", "SELECT * FROM no_such_table",
                    "-c", "DELETE FROM public.accounts"], proxy.LibpqEnvironment(), timeout: TimeSpan.FromSeconds(30));
                Assert.That(psql.StandardError, Does.Contain("protect-accounts"), psql.Combined);
                Assert.That(await Poll.UntilAsync(() => Task.FromResult(proxy.ActiveSessions == 0), TimeSpan.FromSeconds(10)), Is.True);
            }

            var all = File.ReadAllLines(file).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            // The connection comes first, before anyone is known (no session, no user), with where it came from.
            var connection = all.Single(l => l["type"]!.GetValue<string>() == "connection");
            Assert.That(connection["outcome"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(connection["action"]!.GetValue<string>(), Does.StartWith("postgres@"));
            Assert.That(connection["origin"]!["client_address"]!.GetValue<string>(), Is.EqualTo("127.0.0.1"));
            Assert.That(all.IndexOf(connection), Is.LessThan(all.FindIndex(l => l["type"]!.GetValue<string>() == "authentication")));
            var lines = all.Where(l => l["session_id"] is not null).ToList();
            string Type(JsonObject l) => l["type"]!.GetValue<string>();
            string? Action(JsonObject l) => l["action"]?.GetValue<string>();
            string Outcome(JsonObject l) => l["outcome"]!.GetValue<string>();
            string? Error(JsonObject l) => l["error_code"]?.GetValue<string>();

            Assert.That(lines.Where(l => Type(l) == "authentication").Select(l => (Outcome(l), l["user"]!["name"]!.GetValue<string>())),
                Is.EqualTo(new[] { ("success", ProxyInstance.UserName) }));
            var statements = lines.Where(l => Type(l) == "statement").Select(l => (Action(l), Outcome(l), Error(l))).ToList();
            Assert.That(statements, Does.Contain(("SELECT 1", "success", (string?)null)), "sent");
            Assert.That(statements, Does.Contain(("SELECT * FROM no_such_table", "success", (string?)null)), "sent");
            Assert.That(statements, Does.Contain(((string?)null, "failure", (string?)"42P01")), "its outcome (no command tag), with the server's SQLSTATE");
            Assert.That(statements.Count(t => t == ("SELECT 1", "success", null)), Is.EqualTo(2), "sent, and its outcome under its command tag");
            Assert.That(statements, Does.Contain(((string?)null, "failure", (string?)"42501")), "the blocked statement's refusal");
            var delete = lines.First(l => Type(l) == "statement" && Action(l) == "DELETE FROM public.accounts");
            Assert.That(delete["resource"]!["objects"]!.AsArray().Select(o => o!.GetValue<string>()), Is.EqualTo(new[] { "public.accounts" }));
            var blocked = lines.Single(l => Type(l) == "policy" && Outcome(l) == "failure");
            Assert.That((Action(blocked), Error(blocked)), Is.EqualTo(("protect-accounts", "blocked")));
            Assert.That(lines.Count(l => Type(l) == "disconnect"), Is.EqualTo(1));
            Assert.That(lines.Select(l => l["resource"]!["target"]!.GetValue<string>()), Is.All.EqualTo(TestCluster.TargetDatabase));
            Assert.That(lines.Select(l => l["origin"]!["client_address"]!.GetValue<string>()), Is.All.EqualTo("127.0.0.1"));

            var report = new AuditVerifier([key.PublicKey]).Verify(file);
            Assert.That(report.IsValid, Is.True, report.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
