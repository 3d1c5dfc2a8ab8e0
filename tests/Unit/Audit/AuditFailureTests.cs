using HoopProxy.Core.Audit;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Audit;

/// <summary>A failing or hung disk never holds a session for good: fail-closed callers get an exception, fail-open ones a count.</summary>
public sealed class AuditFailureTests
{
    private AuditFixture _fixture = null!;

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    [Test]
    public async Task When_the_disk_fails_a_fail_closed_log_refuses_every_further_event()
    {
        _fixture = new AuditFixture();
        await using var log = await _fixture.OpenAsync();
        await log.FlushAsync();
        log.BeforeEachFlush = () => throw new IOException("No space left on device");

        await AuditFixture.WriteStatementsAsync(log, 1);
        await Assert.ThrowsAsync<AuditUnavailableException>(() => log.FlushAsync());

        var refused = await Assert.ThrowsAsync<AuditUnavailableException>(async () => await AuditFixture.WriteStatementsAsync(log, 1));
        Assert.That(refused!.Message, Does.Contain("No space left on device"));
        Assert.That(log.Failure, Is.InstanceOf<IOException>());
        Assert.That(_fixture.Logger.Entries.Any(e => e.Id.Id == 5203), Is.True);
    }

    [Test]
    public async Task When_the_disk_fails_a_fail_open_log_counts_what_it_drops()
    {
        _fixture = new AuditFixture(failClosed: false);
        await using var log = await _fixture.OpenAsync();
        await log.FlushAsync();
        log.BeforeEachFlush = () => throw new IOException("Input/output error");
        await AuditFixture.WriteStatementsAsync(log, 1);
        await Assert.ThrowsAsync<AuditUnavailableException>(() => log.FlushAsync());

        await AuditFixture.WriteStatementsAsync(log, 3);

        Assert.That(log.DroppedEvents, Is.EqualTo(4), "the one in the failed write and the three after it");
        Assert.That(_fixture.Logger.Entries.Count(e => e.Id.Id == 5204), Is.EqualTo(1), "said once, not per event");
    }

    [Test]
    public async Task When_the_disk_hangs_a_writer_waits_no_longer_than_the_write_timeout()
    {
        _fixture = new AuditFixture(queueCapacity: 2, writeTimeout: TimeSpan.FromMilliseconds(200));
        using var disk = new ManualResetEventSlim();
        var log = await _fixture.OpenAsync();
        await log.FlushAsync();
        log.BeforeEachFlush = () => disk.Wait();

        var refused = await Assert.ThrowsAsync<AuditUnavailableException>(async () => await AuditFixture.WriteStatementsAsync(log, 10));

        Assert.That(refused!.Message, Does.Contain("queue stayed full"));
        disk.Set();
        await log.DisposeAsync();
        var report = _fixture.Verify();
        Assert.That(report.IsValid, Is.True, report.ToString());
        Assert.That(_fixture.Lines()[^1], Does.Contain("\"type\":\"checkpoint\""));
    }

    [Test]
    public async Task A_closed_log_refuses_events()
    {
        _fixture = new AuditFixture();
        var log = await _fixture.OpenAsync();
        await log.DisposeAsync();

        await Assert.ThrowsAsync<AuditUnavailableException>(async () => await AuditFixture.WriteStatementsAsync(log, 1));
    }
}
