using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Core.Identity.Sessions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Identity;

/// <summary>The guardian over a real revocation file and a fake clock: who is ended, when, and who is not.</summary>
public sealed class SessionGuardianTests
{
    private string _folder = null!;
    private string _file = null!;

    [SetUp]
    public void CreateFile()
    {
        _folder = Directory.CreateTempSubdirectory("hoopproxy-guardian-").FullName;
        _file = Path.Combine(_folder, "revoked.json");
        File.WriteAllText(_file, "{}");
    }

    [TearDown]
    public void DeleteFile() => Directory.Delete(_folder, recursive: true);

    private void Revoke(string json)
    {
        File.WriteAllText(_file + ".tmp", json);
        File.Move(_file + ".tmp", _file, overwrite: true);
    }

    private static async Task<bool> EndedAsync(SessionTermination termination)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5), termination.Requested);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    [Test]
    public async Task A_revocation_ends_the_sessions_it_matches_and_no_other()
    {
        using var list = RevocationList.Open(_file, NullLogger.Instance);
        using var guardian = new SessionGuardian(list, NullLogger.Instance);
        using var carol = new SessionTermination();
        using var alice = new SessionTermination();
        using var bobKey = new SessionTermination();
        using var carolWatch = guardian.Watch(new SessionCredential("carol@example.test", "00u-carol", "jti-carol"), carol);
        using var aliceWatch = guardian.Watch(new SessionCredential("alice"), alice);
        using var bobWatch = guardian.Watch(new SessionCredential("bob", KeyFingerprint: "SHA256:bobkey"), bobKey);

        Revoke("""{ "tokenIds": [ "jti-carol" ], "keyFingerprints": [ "SHA256:bobkey" ] }""");

        Assert.That(await EndedAsync(carol), Is.True);
        Assert.That(carol.Ending, Is.EqualTo(new SessionEnding(SessionEndCause.Revoked, "token 'jti-carol' has been revoked",
            new RevocationMatch(RevocationKind.TokenId, "jti-carol"))));
        Assert.That(await EndedAsync(bobKey), Is.True);
        Assert.That(bobKey.Ending!.Reason, Is.EqualTo("key SHA256:bobkey has been revoked"));
        Assert.That(alice.IsRequested, Is.False);
    }

    [Test]
    public async Task A_session_that_ended_is_no_longer_watched()
    {
        using var list = RevocationList.Open(_file, NullLogger.Instance);
        using var guardian = new SessionGuardian(list, NullLogger.Instance);
        using var termination = new SessionTermination();
        guardian.Watch(new SessionCredential("alice"), termination).Dispose();
        Assert.That(guardian.Count, Is.Zero);

        Revoke("""{ "users": [ "alice" ] }""");
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(list.Current.Count == 1), TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(termination.IsRequested, Is.False);
    }

    [Test]
    public void A_credential_already_revoked_when_the_session_registers_is_ended_at_once()
    {
        Revoke("""{ "subjects": [ "00u-carol" ] }""");
        using var list = RevocationList.Open(_file, NullLogger.Instance);
        using var guardian = new SessionGuardian(list, NullLogger.Instance);
        using var termination = new SessionTermination();
        using var watch = guardian.Watch(new SessionCredential("carol@example.test", "00u-carol", "jti-1"), termination);
        Assert.That(termination.Ending?.Reason, Is.EqualTo("the credentials of subject '00u-carol' have been revoked"));
    }

    [Test]
    public void A_token_session_ends_at_its_end_time_and_not_before()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));
        using var guardian = new SessionGuardian(RevocationList.None, NullLogger.Instance, time: time);
        using var termination = new SessionTermination();
        var endsAt = time.GetUtcNow().AddMinutes(30);
        using var watch = guardian.Watch(new SessionCredential("carol", "00u-carol", "jti-1", EndsAt: endsAt), termination);

        time.Advance(TimeSpan.FromMinutes(29) + TimeSpan.FromSeconds(59));
        Assert.That(termination.IsRequested, Is.False);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(termination.Ending, Is.EqualTo(new SessionEnding(SessionEndCause.Expired, "the session's token expired at 2026-11-26T10:30:00Z; sign in again")));
    }

    [Test]
    public void An_end_months_away_is_reached_in_steps()
    {
        // Timers cannot wait much beyond 49 days; the guardian waits at most 30 at a time and looks again.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var guardian = new SessionGuardian(RevocationList.None, NullLogger.Instance, time: time);
        using var termination = new SessionTermination();
        using var watch = guardian.Watch(new SessionCredential("svc", EndsAt: time.GetUtcNow().AddDays(100)), termination);
        time.Advance(TimeSpan.FromDays(99));
        Assert.That(termination.IsRequested, Is.False);
        time.Advance(TimeSpan.FromDays(1));
        Assert.That(termination.Ending?.Cause, Is.EqualTo(SessionEndCause.Expired));
    }

    [Test]
    public void The_first_end_asked_for_is_the_one_that_counts()
    {
        using var termination = new SessionTermination();
        Assert.That(termination.Request(new SessionEnding(SessionEndCause.Expired, "first")), Is.True);
        Assert.That(termination.Request(new SessionEnding(SessionEndCause.Revoked, "second")), Is.False);
        Assert.That(termination.Ending!.Reason, Is.EqualTo("first"));
        Assert.That(termination.Requested.IsCancellationRequested, Is.True);
    }
}
