using HoopProxy.Core.Approvals;
using HoopProxy.Host.Demo;
using HoopProxy.Postgres.Policy;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// Review rules hold a statement inside a live session until an approver decides: the client is told which request
/// it waits for, pipelined work waits behind it, and approval, denial, timeout and the client's own cancel each end
/// the wait the way a demanding user expects.
/// </summary>
public sealed class StatementApprovalTests
{
    private const string Rules = """
        {
          "Policies": [
            { "Name": "ddl-needs-approval", "Action": "Review", "Approvers": [ "dba" ], "Timeout": "00:00:30",
              "Match": { "Classes": [ "DDL" ] } },
            { "Name": "quick-review", "Action": "Review", "Approvers": [ "dba" ], "Timeout": "00:00:01",
              "Match": { "Pattern": "hurry" } }
          ]
        }
        """;

    private static readonly ApproverIdentity Dora = new("dora", ["dba"]);

    private static async Task<(ProxyInstance Proxy, ApprovalBroker Broker)> StartAsync()
    {
        var broker = new ApprovalBroker();
        var proxy = await ProxyInstance.StartAsync(policies: new PolicySource(StatementPolicyTests.Load(Rules)), approvals: broker);
        return (proxy, broker);
    }

    private static async Task<ApprovalRequest> WaitForRequestAsync(ApprovalBroker broker)
    {
        ApprovalRequest? request = null;
        Assert.That(await Poll.UntilAsync(() => Task.FromResult((request = broker.PendingRequests.FirstOrDefault()) is not null), TimeSpan.FromSeconds(10)), Is.True,
            "the statement is held for approval");
        return request!;
    }

    [Test]
    public async Task Psql_waits_with_a_notice_naming_the_request_and_the_statement_runs_once_approved()
    {
        await TestCluster.DropTableAsync("approved_table");
        var (proxy, broker) = await StartAsync();
        await using var _ = proxy;
        var psql = ExternalProcess.RunAsync("psql", ["-X", "-c", "CREATE TABLE approved_table (x int)", "-c", "SELECT 'after' AS marker"], proxy.LibpqEnvironment());
        var request = await WaitForRequestAsync(broker);

        Assert.That((request.Requester, request.Rule, request.Statement), Is.EqualTo((ProxyInstance.UserName, "ddl-needs-approval", "CREATE TABLE approved_table (x int)")));
        Assert.That(psql.IsCompleted, Is.False, "psql waits");
        Assert.That(await TestCluster.TableExistsAsync("approved_table"), Is.False, "nothing ran before the approval");

        var selfApproval = broker.Approve(request.Id, new ApproverIdentity(ProxyInstance.UserName, ["dba"]), ApprovalScope.Once);
        Assert.That((selfApproval.Applied, selfApproval.Error), Is.EqualTo((false, ApprovalActionError.Forbidden)), "nobody approves their own request");
        var outsider = broker.Approve(request.Id, new ApproverIdentity("mallory", ["analysts"]), ApprovalScope.Once);
        Assert.That(outsider.Error, Is.EqualTo(ApprovalActionError.Forbidden), "only the rule's approvers decide");

        Assert.That(broker.Approve(request.Id, Dora, ApprovalScope.Once).Applied, Is.True);
        var result = await psql;
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardError, Does.Contain($"statement held for approval: request {request.Id}"));
        Assert.That(result.StandardOutput, Does.Contain("CREATE TABLE").And.Contain("after"));
        Assert.That(await TestCluster.TableExistsAsync("approved_table"), Is.True);
        await TestCluster.DropTableAsync("approved_table");
    }

    [Test]
    public async Task A_denial_gives_the_client_an_error_with_the_reason_and_the_session_goes_on()
    {
        var (proxy, broker) = await StartAsync();
        await using var _ = proxy;
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(proxy.ConnectionString()) { IncludeErrorDetail = true }.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand("CREATE TABLE denied_table (x int)", connection);
        var running = create.ExecuteNonQueryAsync();
        var request = await WaitForRequestAsync(broker);
        Assert.That(broker.Deny(request.Id, Dora, "not during business hours").Applied, Is.True);

        var error = await Assert.ThrowsAsync<PostgresException>(() => running);
        Assert.That((error!.SqlState, error.MessageText), Is.EqualTo(("42501", $"statement denied by dora (request {request.Id})")));
        Assert.That(error.Detail, Is.EqualTo("not during business hours"));
        Assert.That(await TestCluster.TableExistsAsync("denied_table"), Is.False);
        await using var next = new NpgsqlCommand("SELECT 41 + 1", connection);
        Assert.That(await next.ExecuteScalarAsync(), Is.EqualTo(42));
    }

    [Test]
    public async Task A_request_nobody_decides_times_out_with_an_error()
    {
        var (proxy, broker) = await StartAsync();
        await using var _ = proxy;
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 'hurry'", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.That(error!.SqlState, Is.EqualTo("42501"));
        Assert.That(error.MessageText, Does.StartWith("statement not approved in time"));
        Assert.That(broker.PendingRequests, Is.Empty);
    }

    [Test]
    public async Task A_cancel_from_the_client_withdraws_the_request()
    {
        var (proxy, broker) = await StartAsync();
        await using var _ = proxy;
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("CREATE TABLE cancelled_table (x int)", connection);
        using var cancel = new CancellationTokenSource();
        var running = command.ExecuteNonQueryAsync(cancel.Token);
        var request = await WaitForRequestAsync(broker);
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAsync<OperationCanceledException>(() => running);
        Assert.That(error!.InnerException, Is.TypeOf<PostgresException>().With.Property(nameof(PostgresException.SqlState)).EqualTo("57014"));
        Assert.That(broker.PendingRequests, Is.Empty, "withdrawn");
        Assert.That(broker.Approve(request.Id, Dora, ApprovalScope.Once).Error, Is.EqualTo(ApprovalActionError.NotFound), "too late to approve");
        Assert.That(await TestCluster.TableExistsAsync("cancelled_table"), Is.False);
    }

    [Test]
    public async Task A_dropped_connection_withdraws_the_request()
    {
        var (proxy, broker) = await StartAsync();
        await using var _ = proxy;
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(proxy.ConnectionString()) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var command = new NpgsqlCommand("CREATE TABLE abandoned_table (x int)", connection);
        var abandoned = command.ExecuteNonQueryAsync();
        await WaitForRequestAsync(broker);
        connection.Close();
        Assert.That(async () => await abandoned, Throws.InstanceOf<Exception>(), "closing the connection breaks the command waiting on it");

        Assert.That(await Poll.UntilAsync(() => Task.FromResult(broker.PendingRequests.Count == 0), TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(await TestCluster.TableExistsAsync("abandoned_table"), Is.False);
    }

    [Test]
    public async Task A_session_scope_approval_lets_the_same_statement_run_again_without_asking()
    {
        var (proxy, broker) = await StartAsync();
        await using var _ = proxy;
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("CREATE TEMP TABLE IF NOT EXISTS scratch (x int)", connection);
        var first = command.ExecuteNonQueryAsync();
        var request = await WaitForRequestAsync(broker);
        Assert.That(broker.Approve(request.Id, Dora, ApprovalScope.Session, TimeSpan.FromMinutes(10)).Applied, Is.True);
        await first;

        await command.ExecuteNonQueryAsync();
        Assert.That(broker.PendingRequests, Is.Empty, "the second run did not ask");
    }

    [Test]
    public async Task Statements_pipelined_behind_a_held_one_wait_for_its_decision()
    {
        await TestCluster.DropTableAsync("held_first");
        var (proxy, broker) = await StartAsync();
        await using var _ = proxy;
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("CREATE TABLE held_first (x int)"),
                new NpgsqlBatchCommand("INSERT INTO held_first VALUES (1)"),
            },
        };
        var running = batch.ExecuteNonQueryAsync();
        var request = await WaitForRequestAsync(broker);
        await Task.Delay(300);
        Assert.That(running.IsCompleted, Is.False, "the INSERT behind it waits too");
        Assert.That(broker.Approve(request.Id, Dora, ApprovalScope.Once).Applied, Is.True);
        Assert.That(await running, Is.EqualTo(1), "both ran, in order, after the approval");
        await TestCluster.DropTableAsync("held_first");
    }

    [Test]
    public async Task A_held_statement_is_recorded_once_and_later_answers_stay_paired()
    {
        using var fixture = new HoopProxy.Tests.Unit.Recording.RecordingFixture();
        var broker = new ApprovalBroker();
        await using (var store = await fixture.OpenAsync())
        {
            await using (var proxy = await ProxyInstance.StartAsync(policies: new PolicySource(StatementPolicyTests.Load(Rules)), approvals: broker, recordings: store))
            {
                await using var connection = new NpgsqlConnection(proxy.ConnectionString());
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand("CREATE TEMP TABLE once_recorded (x int)", connection);
                var running = create.ExecuteNonQueryAsync();
                var request = await WaitForRequestAsync(broker);
                Assert.That(broker.Approve(request.Id, Dora, ApprovalScope.Once).Applied, Is.True);
                await running;
                await using var select = new NpgsqlCommand("SELECT 'after the approval'", connection);
                Assert.That(await select.ExecuteScalarAsync(), Is.EqualTo("after the approval"));
            }

            var session = store.ListSessions().Single();
            var records = store.OpenSession(session.SessionId).ReadRecords().ToList();
            var statements = records.Where(r => r.EventType == "statement").ToList();
            Assert.That(statements.Count(s => s.Fields!["text"]!.ToString().StartsWith("CREATE TEMP TABLE once_recorded", StringComparison.Ordinal)), Is.EqualTo(1));
            var after = statements.Single(s => s.Fields!["text"]!.ToString() == "SELECT 'after the approval'");
            var outcome = records.Single(r => r.EventType == "outcome" && r.Fields!["seq"]?.GetValue<long>() == after.Fields!["seq"]!.GetValue<long>());
            Assert.That(outcome.Fields!["command"]!.ToString(), Is.EqualTo("SELECT 1"));
            Assert.That(records.Where(r => r.EventType == "approval").Select(r => r.Fields!["status"]!.ToString()), Is.EqualTo(new[] { "requested", "approved" }));
        }
    }
}
