using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Audit;

/// <summary>A restarted proxy continues the chain from the last line, after a clean stop or a crash.</summary>
public sealed class AuditRestartTests
{
    private AuditFixture _fixture = null!;

    [SetUp]
    public void SetUp() => _fixture = new AuditFixture();

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    /// <summary>The file as a crash would leave it: what was flushed, without the stopped event and the closing checkpoint.</summary>
    private async Task<byte[]> CrashAfterAsync(int statements)
    {
        byte[] atCrash;
        await using (var log = await _fixture.OpenAsync())
        {
            await AuditFixture.WriteStatementsAsync(log, statements);
            await log.FlushAsync();
            atCrash = File.ReadAllBytes(_fixture.LogPath);
        }

        File.WriteAllBytes(_fixture.LogPath, atCrash);
        return atCrash;
    }

    [Test]
    public async Task After_a_clean_stop_the_chain_continues_from_the_closing_checkpoint()
    {
        await _fixture.WriteClosedLogAsync(statements: 3);
        Assert.That(_fixture.Lines(), Has.Count.EqualTo(6));

        await using (var log = await _fixture.OpenAsync())
        {
            Assert.That(log.Tail, Is.EqualTo(new AuditTail(6, AuditFixture.HashOf(_fixture.Lines()[5]), 6, 0, null)));
            await AuditFixture.WriteStatementsAsync(log, 2, from: 4);
        }

        var lines = _fixture.Lines();
        Assert.That(lines, Has.Count.EqualTo(11));
        var restarted = _fixture.Json(7);
        Assert.That((restarted["seq"]!.GetValue<long>(), restarted["prev"]!.GetValue<string>()), Is.EqualTo((7L, AuditFixture.HashOf(lines[5]))));
        Assert.That(restarted["details"]!.ToJsonString(), Is.EqualTo("""{"continued_from_seq":6,"not_checkpointed":0}"""));
        Assert.That(_fixture.Json(11)["checkpoint"]!["previous_checkpoint"]!.GetValue<long>(), Is.EqualTo(6));
        var report = _fixture.Verify();
        Assert.That((report.IsValid, report.Warnings.Count, report.Checkpoints), Is.EqualTo((true, 0, 2L)), report.ToString());
    }

    [Test]
    public async Task After_a_crash_the_lines_no_checkpoint_covered_are_signed_by_the_next_one()
    {
        await CrashAfterAsync(statements: 3);
        Assert.That(_fixture.Verify().Warnings.Single().Kind, Is.EqualTo(AuditWarningKind.NotCheckpointed));

        await using (var log = await _fixture.OpenAsync())
        {
            Assert.That(log.Tail!.NotCheckpointed, Is.EqualTo(4));
        }

        Assert.That(_fixture.Json(5)["details"]!["not_checkpointed"]!.GetValue<long>(), Is.EqualTo(4));
        var report = _fixture.Verify();
        Assert.That((report.IsValid, report.Warnings.Count), Is.EqualTo((true, 0)), report.ToString());
    }

    [Test]
    public async Task A_torn_last_line_is_cut_off_kept_beside_the_log_and_reported()
    {
        await CrashAfterAsync(statements: 3);
        var torn = "{\"seq\":5,\"prev\":\"0123"u8.ToArray();
        using (var file = new FileStream(_fixture.LogPath, FileMode.Append))
        {
            file.Write(torn);
        }

        var tornOffset = new FileInfo(_fixture.LogPath).Length - torn.Length;
        Assert.That(_fixture.Verify().Problems.Single().Kind, Is.EqualTo(AuditProblemKind.Incomplete));

        await using (var log = await _fixture.OpenAsync())
        {
            Assert.That(log.Tail!.Torn, Is.EqualTo(new TornTail(tornOffset, torn.Length, $"{_fixture.LogPath}.torn-{tornOffset}")));
        }

        Assert.That(File.ReadAllBytes($"{_fixture.LogPath}.torn-{tornOffset}"), Is.EqualTo(torn));
        Assert.That(_fixture.Json(5)["details"]!["torn_line"]!.ToJsonString(),
            Is.EqualTo($"{{\"offset\":{tornOffset},\"bytes\":{torn.Length},\"saved_as\":\"audit.jsonl.torn-{tornOffset}\"}}"));
        Assert.That(_fixture.Logger.Entries.Any(e => e.Id.Id == 5201 && e.Message.Contains($"{torn.Length} bytes at offset {tornOffset}", StringComparison.Ordinal)), Is.True);
        var report = _fixture.Verify();
        Assert.That(report.IsValid, Is.True, report.ToString());
        Assert.That(report.Warnings.Single().Kind, Is.EqualTo(AuditWarningKind.RecoveredAfterCrash));
        Assert.That(report.Warnings.Single().ToString(), Does.StartWith($"line 5: the proxy restarted after a crash and cut off an unfinished line ({torn.Length} bytes"));
    }

    [Test]
    public async Task A_log_whose_end_does_not_verify_is_left_as_it_is_and_refused()
    {
        await CrashAfterAsync(statements: 3);
        var lines = _fixture.Lines();
        lines[2] = lines[2].Replace("SELECT 2", "SELECT 9", StringComparison.Ordinal);
        _fixture.WriteLines(lines);
        File.AppendAllText(_fixture.LogPath, "{\"torn");
        var before = File.ReadAllBytes(_fixture.LogPath);

        var refused = await Assert.ThrowsAsync<AuditUnavailableException>(() => _fixture.OpenAsync());

        Assert.That(refused!.Message, Does.Contain("does not verify").And.Contain("seq 3 does not match its hash").And.Contain("hoopproxy audit verify"));
        Assert.That(File.ReadAllBytes(_fixture.LogPath), Is.EqualTo(before), "nothing cut, nothing appended");
    }

    [Test]
    public async Task Only_the_lines_since_the_last_checkpoint_are_read_on_open()
    {
        await _fixture.WriteClosedLogAsync(statements: 3);
        var lines = _fixture.Lines();
        lines[2] = lines[2].Replace("SELECT 2", "SELECT 9", StringComparison.Ordinal);
        lines[3] = "not even JSON";
        _fixture.WriteLines(lines);

        await using (var log = await _fixture.OpenAsync())
        {
            Assert.That(log.Tail!.LastCheckpointSeq, Is.EqualTo(6));
        }

        Assert.That(_fixture.Verify().Problems.Select(p => (p.Kind, p.Line)), Is.EqualTo(new[]
        {
            (AuditProblemKind.Changed, 3L), (AuditProblemKind.Malformed, 4L), (AuditProblemKind.Removed, 5L),
        }), "verify reads it all");
    }

    [Test]
    public async Task A_fail_open_log_whose_end_does_not_verify_drops_events_and_says_so()
    {
        await _fixture.WriteClosedLogAsync(statements: 1);
        var lines = _fixture.Lines();
        lines[^1] = lines[^1].Replace("\"checkpoint\":{", "\"checkpoint\":{\"x\":1,", StringComparison.Ordinal);
        _fixture.WriteLines(lines);
        _fixture.Options = _fixture.Options with { FailClosed = false };

        await using var log = await _fixture.OpenAsync();
        await AuditFixture.WriteStatementsAsync(log, 2);

        Assert.That(log.Failure, Is.InstanceOf<AuditUnavailableException>());
        Assert.That(log.DroppedEvents, Is.EqualTo(2));
        Assert.That(_fixture.Logger.Entries.Count(e => e.Id.Id is 5205), Is.EqualTo(1));
    }

    [Test]
    public async Task A_second_writer_on_the_same_log_is_refused()
    {
        await using var first = await _fixture.OpenAsync();

        var refused = await Assert.ThrowsAsync<AuditUnavailableException>(() => _fixture.OpenAsync());

        Assert.That(refused!.Message, Does.Contain(_fixture.LogPath).And.Contain("cannot be used"));
    }

    [Test]
    public async Task A_long_log_with_no_checkpoint_near_its_end_is_read_back_to_the_start()
    {
        _fixture.Options = _fixture.Options with { CheckpointEvents = 1_000_000 };
        byte[] atCrash;
        await using (var log = await _fixture.OpenAsync())
        {
            for (var i = 0; i < 1500; i++)
            {
                await log.WriteAsync(AuditFixture.AliceOnBank.Event(AuditEventType.Statement, AuditOutcome.Success, action: $"SELECT {i}, '{new string('z', 400)}'"));
            }

            await log.FlushAsync();
            atCrash = File.ReadAllBytes(_fixture.LogPath);
        }

        Assert.That(atCrash, Has.Length.GreaterThan(4 * 256 * 1024), "longer than the first two windows");
        File.WriteAllBytes(_fixture.LogPath, atCrash);

        await using (var log = await _fixture.OpenAsync())
        {
            Assert.That((log.Tail!.LastSeq, log.Tail.LastCheckpointSeq, log.Tail.NotCheckpointed), Is.EqualTo((1501L, (long?)null, 1501L)));
        }

        Assert.That(_fixture.Verify().IsValid, Is.True);
    }
}
