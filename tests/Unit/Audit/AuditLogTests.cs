using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Audit;

/// <summary>Events written through the core API come back as a chained, checkpointed log that verifies.</summary>
public sealed class AuditLogTests
{
    private AuditFixture _fixture = null!;

    [SetUp]
    public void SetUp() => _fixture = new AuditFixture();

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    [Test]
    public async Task Written_events_are_chained_and_the_log_closes_with_a_signed_checkpoint()
    {
        await _fixture.WriteClosedLogAsync(statements: 5);

        var lines = _fixture.Lines();
        Assert.That(lines, Has.Count.EqualTo(8), "started, 5 statements, stopped, checkpoint");
        var types = lines.Select(l => JsonNode.Parse(l)!["type"]!.GetValue<string>()).ToList();
        Assert.That(types, Is.EqualTo(new[] { "audit-log", "statement", "statement", "statement", "statement", "statement", "audit-log", "checkpoint" }));
        for (var i = 0; i < lines.Count; i++)
        {
            var json = _fixture.Json(i + 1);
            Assert.That(json["seq"]!.GetValue<long>(), Is.EqualTo(i + 1));
            Assert.That(json["prev"]!.GetValue<string>(), Is.EqualTo(i == 0 ? AuditLineFormat.ZeroHash : AuditFixture.HashOf(lines[i - 1])));
        }

        var report = _fixture.Verify();
        Assert.That(report.IsValid, Is.True, report.ToString());
        Assert.That(report.Warnings, Is.Empty, report.ToString());
        Assert.That((report.Events, report.Checkpoints, report.LastCheckpointLine), Is.EqualTo((7L, 1L, (long?)8)));
    }

    [Test]
    public async Task A_statement_line_holds_what_the_caller_gave_in_snake_case()
    {
        await using (var log = await _fixture.OpenAsync())
        {
            await log.WriteAsync(AuditFixture.AliceOnBank.Event(AuditEventType.Statement, AuditOutcome.Failure, action: "DELETE FROM accounts",
                errorCode: "42501", details: new JsonObject { ["rule"] = "protect-accounts" }, objects: ["public.accounts"]) with
            {
                Time = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero),
            });
        }

        var line = _fixture.Json(2);
        Assert.That(line["time"]!.GetValue<string>(), Is.EqualTo("2026-11-26T10:00:00.0000000Z"));
        Assert.That((line["type"]!.GetValue<string>(), line["outcome"]!.GetValue<string>(), line["error_code"]!.GetValue<string>()),
            Is.EqualTo(("statement", "failure", "42501")));
        Assert.That(line["user"]!.ToJsonString(), Is.EqualTo(
            """{"issuer":"https://idp.example.test","subject":"0f3a","name":"alice@example.test","groups":["analysts"],"upstream_account":"app"}"""));
        Assert.That(line["origin"]!.ToJsonString(), Is.EqualTo("""{"client_address":"192.0.2.10","client_port":51234,"proxy_host":"proxy-1"}"""));
        Assert.That(line["resource"]!.ToJsonString(), Is.EqualTo("""{"protocol":"postgres","target":"bank","database":"bank","objects":["public.accounts"]}"""));
        Assert.That((line["credential_id"]!.GetValue<string>(), line["session_id"]!.GetValue<string>(), line["action"]!.GetValue<string>()),
            Is.EqualTo(("jti-77", "pg-1", "DELETE FROM accounts")));
        Assert.That(line["details"]!["rule"]!.GetValue<string>(), Is.EqualTo("protect-accounts"));
    }

    [Test]
    public async Task Every_event_has_every_required_field_even_when_the_caller_gave_almost_nothing()
    {
        await using (var log = await _fixture.OpenAsync())
        {
            foreach (var type in Enum.GetValues<AuditEventType>().Where(t => t != AuditEventType.AuditLog))
            {
                await log.WriteAsync(new AuditEvent(type, AuditOutcome.Success));
                await log.WriteAsync(AuditFixture.AliceOnBank.Event(type, AuditOutcome.Failure, action: "x", errorCode: "E1", details: new JsonObject { ["n"] = 1 }));
            }
        }

        var events = _fixture.Lines().Select(l => JsonNode.Parse(l)!.AsObject()).Where(l => l["type"]!.GetValue<string>() != "checkpoint").ToList();
        Assert.That(events.Select(e => e["type"]!.GetValue<string>()).Distinct(), Is.EquivalentTo(AuditEventTypes.All));
        foreach (var line in events)
        {
            foreach (var path in AuditFields.Required)
            {
                var steps = path.Split('.');
                var parent = steps.Length == 1 ? line : line[steps[0]]!.AsObject();
                Assert.That(parent.ContainsKey(steps[^1]), Is.True, $"{path} missing from {line.ToJsonString()}");
            }

            Assert.That(line["user"]!["groups"], Is.InstanceOf<JsonArray>(), "groups is an array, empty when unknown");
            Assert.That(line["resource"]!["objects"], Is.InstanceOf<JsonArray>(), "objects is an array, empty when none");
            Assert.That(line["origin"]!["proxy_host"]!.GetValue<string>(), Is.EqualTo("proxy-1"), "the log fills in its host");
        }

        var report = _fixture.Verify();
        Assert.That(report.IsValid, Is.True, report.ToString());
    }

    [Test]
    public async Task The_verifier_names_an_event_that_lacks_a_required_field()
    {
        await _fixture.WriteClosedLogAsync(statements: 3);
        var lines = _fixture.Lines();
        var line = JsonNode.Parse(lines[2])!.AsObject();
        line["user"]!.AsObject().Remove("upstream_account");
        line.Remove("credential_id");
        lines[2] = AuditFixture.Rehash(line);
        AuditFixture.Rechain(lines, 4);
        _fixture.WriteLines(lines);

        var report = new AuditVerifier(null).Verify(_fixture.LogPath);
        var problem = report.Problems.Single();
        Assert.That((problem.Kind, problem.Line), Is.EqualTo((AuditProblemKind.MissingField, 3L)), report.ToString());
        Assert.That(problem.Message, Does.Contain("user.upstream_account").And.Contain("credential_id"));
    }

    [Test]
    public async Task A_checkpoint_is_signed_every_N_events_and_covers_the_chain_head()
    {
        _fixture.Options = _fixture.Options with { CheckpointEvents = 4 };
        await _fixture.WriteClosedLogAsync(statements: 9);

        var checkpoints = _fixture.Lines().Select(l => JsonNode.Parse(l)!.AsObject()).Where(l => l["type"]!.GetValue<string>() == "checkpoint").ToList();
        Assert.That(checkpoints.Select(c => c["seq"]!.GetValue<long>()), Is.EqualTo(new long[] { 5, 10, 14 }));
        Assert.That(checkpoints.Select(c => c["checkpoint"]!["first_seq"]!.GetValue<long>()), Is.EqualTo(new long[] { 1, 6, 11 }));
        Assert.That(checkpoints.Select(c => c["checkpoint"]!["previous_checkpoint"]?.GetValue<long>()), Is.EqualTo(new long?[] { null, 5, 10 }));
        Assert.That(checkpoints[0]["checkpoint"]!["public_key"]!.GetValue<string>(), Is.EqualTo(Convert.ToBase64String(_fixture.Key.PublicKey)));
        Assert.That(_fixture.Verify().IsValid, Is.True, _fixture.Verify().ToString());
    }

    [Test]
    public async Task A_checkpoint_is_signed_when_the_interval_passes_with_events_waiting()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
        _fixture.Options = _fixture.Options with { CheckpointInterval = TimeSpan.FromMinutes(1) };
        await using var log = await _fixture.OpenAsync(time);
        await AuditFixture.WriteStatementsAsync(log, 2);
        await log.FlushAsync();
        Assert.That(_fixture.Verify().Warnings.Single().Kind, Is.EqualTo(AuditWarningKind.NotCheckpointed));

        // Advanced on every poll: the ticker's timer may start after the first advance.
        var signed = await Infrastructure.Poll.UntilAsync(() =>
        {
            time.Advance(TimeSpan.FromMinutes(1));
            return Task.FromResult(_fixture.Lines().Count == 4);
        }, TimeSpan.FromSeconds(10));

        Assert.That(signed, Is.True, "a checkpoint after the interval");
        Assert.That(_fixture.Json(4)["type"]!.GetValue<string>(), Is.EqualTo("checkpoint"));
        var report = _fixture.Verify();
        Assert.That((report.IsValid, report.Warnings.Count), Is.EqualTo((true, 0)), report.ToString());
    }

    [Test]
    public async Task Lines_after_the_last_checkpoint_are_a_warning_not_a_failure()
    {
        await using var log = await _fixture.OpenAsync();
        await AuditFixture.WriteStatementsAsync(log, 3);
        await log.CheckpointAsync();
        await AuditFixture.WriteStatementsAsync(log, 2, from: 4);
        await log.FlushAsync();

        var report = _fixture.Verify();
        Assert.That(report.IsValid, Is.True, report.ToString());
        Assert.That(report.Warnings.Single().Kind, Is.EqualTo(AuditWarningKind.NotCheckpointed));
        Assert.That(report.Warnings.Single().Message, Does.StartWith("lines 6–7 are not yet checkpointed"));
    }

    [Test]
    public async Task An_action_longer_than_the_limit_is_cut_without_splitting_a_character()
    {
        var text = new string('x', AuditLineFormat.MaxActionLength - 1) + "😀tail";
        await using (var log = await _fixture.OpenAsync())
        {
            await log.WriteAsync(AuditFixture.AliceOnBank.Event(AuditEventType.Statement, AuditOutcome.Success, action: text));
        }

        Assert.That(_fixture.Json(2)["action"]!.GetValue<string>(), Is.EqualTo(new string('x', AuditLineFormat.MaxActionLength - 1)));
        Assert.That(_fixture.Verify().IsValid, Is.True);
    }

    [Test]
    public async Task A_line_break_inside_a_statement_stays_inside_its_line()
    {
        await using (var log = await _fixture.OpenAsync())
        {
            await log.WriteAsync(AuditFixture.AliceOnBank.Event(AuditEventType.Statement, AuditOutcome.Success, action: "SELECT 1\n;\r\nSELECT \"ß\" + 2"));
        }

        Assert.That(_fixture.Lines(), Has.Count.EqualTo(4));
        Assert.That(_fixture.Json(2)["action"]!.GetValue<string>(), Is.EqualTo("SELECT 1\n;\r\nSELECT \"ß\" + 2"));
        Assert.That(_fixture.Lines()[1], Does.Contain("ß").And.Contain(" + 2"), "readable: relaxed escaping as in the recordings");
    }
}
