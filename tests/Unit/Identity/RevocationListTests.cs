using System.Collections.Concurrent;
using System.Diagnostics;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Identity;

/// <summary>The revocation file followed on disk: reloads on change, keeps the list in force when the file is bad.</summary>
public sealed class RevocationListTests
{
    /// <summary>The issue asks for sessions to end within a second; the deadline leaves a shared CI machine some room.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    private string _root = null!;
    private string _file = null!;
    private ListLogger _logger = null!;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "hoopproxy-revocations-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_root);
        _file = Path.Combine(_root, "revoked.json");
        File.WriteAllText(_file, """{ "users": [ "mallory" ] }""");
        _logger = new ListLogger();
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private static Task<bool> Within(Func<bool> condition) => Poll.UntilAsync(() => Task.FromResult(condition()), Deadline, TimeSpan.FromMilliseconds(20));

    /// <summary>As an editor that saves to a temporary file and renames it over the original.</summary>
    private void Replace(string content)
    {
        var temporary = _file + ".swp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, _file, overwrite: true);
    }

    [Test]
    public void The_file_is_loaded_at_start()
    {
        using var list = RevocationList.Open(_file, _logger);

        Assert.That(list.IsRevoked(user: "mallory"), Is.EqualTo(new RevocationMatch(RevocationKind.User, "mallory")));
        Assert.That(list.LastError, Is.Null);
        Assert.That(_logger.Entries.Single(e => e.Id.Id == 6100).Message, Does.Contain("0 token ids, 0 key fingerprints, 0 subjects, 1 users"));
    }

    [Test]
    public async Task A_change_is_in_force_within_the_deadline_and_announced([Values] bool inPlace)
    {
        using var list = RevocationList.Open(_file, _logger);
        var changes = new ConcurrentQueue<RevocationsChangedEventArgs>();
        list.Changed += (_, e) => changes.Enqueue(e);
        var clock = Stopwatch.StartNew();

        const string content = """{ "users": [ "mallory" ], "tokenIds": [ "jti-77" ] }""";
        if (inPlace)
        {
            File.WriteAllText(_file, content);
        }
        else
        {
            Replace(content);
        }

        Assert.That(await Within(() => list.IsRevoked(tokenId: "jti-77") is not null && !changes.IsEmpty), Is.True, "not reloaded in time");
        TestContext.Out.WriteLine($"in force after {clock.ElapsedMilliseconds} ms");
        var change = changes.Single();
        Assert.That(change.Added, Is.EqualTo(new[] { new RevocationMatch(RevocationKind.TokenId, "jti-77") }));
        Assert.That(change.Removed, Is.Empty);
        Assert.That(change.Current.Match(tokenId: "jti-77"), Is.Not.Null);
        Assert.That(change.Previous.Match(tokenId: "jti-77"), Is.Null);
    }

    [Test]
    public async Task The_periodic_check_alone_reloads_when_no_watcher_event_comes()
    {
        using var list = RevocationList.OpenWithoutWatcher(_file, _logger, TimeSpan.FromMilliseconds(200));

        Replace("""{ "subjects": [ "00u-mallory" ] }""");

        Assert.That(await Within(() => list.IsRevoked(subject: "00u-mallory") is not null), Is.True);
        Assert.That(list.IsRevoked(user: "mallory"), Is.Null, "taken off the list");
    }

    [Test]
    public async Task A_bad_file_keeps_the_list_in_force_and_says_why()
    {
        using var list = RevocationList.Open(_file, _logger);
        var changes = 0;
        list.Changed += (_, _) => Interlocked.Increment(ref changes);

        Replace("""{ "tokenID": [ "jti-77" ] }""");

        Assert.That(await Within(() => list.LastError is not null), Is.True, "the bad file was not noticed");
        Assert.That(list.LastError, Does.Contain("'tokenID' is not a known key"));
        Assert.That(list.IsRevoked(user: "mallory"), Is.Not.Null, "the previous list stays");
        Assert.That(_logger.Entries.Any(e => e.Id.Id == 6101 && e.Message.Contains("the previous list stays in force")), Is.True);

        Replace("""{ "tokenIds": [ "jti-77" ] }""");

        // The list is in force a moment before subscribers hear of it; wait for both.
        Assert.That(await Within(() => list.IsRevoked(tokenId: "jti-77") is not null && Volatile.Read(ref changes) > 0), Is.True);
        Assert.That((list.LastError, list.IsRevoked(user: "mallory"), Volatile.Read(ref changes)), Is.EqualTo(((string?)null, (RevocationMatch?)null, 1)), "the bad file was announced");
    }

    [Test]
    public async Task A_deleted_file_keeps_the_list_in_force_until_it_is_back()
    {
        using var list = RevocationList.Open(_file, _logger);

        File.Delete(_file);

        Assert.That(await Within(() => list.LastError == "the file is missing"), Is.True);
        Assert.That(list.IsRevoked(user: "mallory"), Is.Not.Null);

        File.WriteAllText(_file, """{ "users": [ "mallory", "trent" ] }""");
        Assert.That(await Within(() => list.IsRevoked(user: "trent") is not null), Is.True);
        Assert.That(list.LastError, Is.Null);
    }

    [Test]
    public async Task The_same_entries_written_again_announce_nothing()
    {
        using var list = RevocationList.Open(_file, _logger);
        var changes = new ConcurrentQueue<RevocationsChangedEventArgs>();
        list.Changed += (_, e) => changes.Enqueue(e);

        Replace("""{ "users": [ "mallory" ] }""");
        Replace("""{ "users": [ "mallory" ], "subjects": [ "00u-eve" ] }""");

        Assert.That(await Within(() => !changes.IsEmpty), Is.True);
        Assert.That(changes.Single().Added, Is.EqualTo(new[] { new RevocationMatch(RevocationKind.Subject, "00u-eve") }));
    }

    [Test]
    public async Task A_failing_subscriber_does_not_keep_the_others_from_hearing()
    {
        using var list = RevocationList.Open(_file, _logger);
        var heard = false;
        list.Changed += (_, _) => throw new InvalidOperationException("session already gone");
        list.Changed += (_, _) => Volatile.Write(ref heard, true);

        Replace("""{ "users": [ "trent" ] }""");

        Assert.That(await Within(() => Volatile.Read(ref heard)), Is.True);
        Assert.That(_logger.Entries.Any(e => e.Id.Id == 6102 && e.Message.Contains("session already gone")), Is.True);
    }

    [TestCase("""{ "users": "mallory" }""", "'users' must be an array of strings")]
    [TestCase("", "the file is empty (an empty list is {})")]
    public void A_bad_file_at_start_is_a_configuration_error(string content, string problem)
    {
        File.WriteAllText(_file, content);

        var error = Assert.Throws<ConfigurationException>(() => RevocationList.Open(_file, _logger).Dispose());

        Assert.That(error!.Message, Is.EqualTo($"Identity:RevocationsFile: '{_file}': {problem}"));
    }

    [Test]
    public void None_revokes_nothing()
    {
        Assert.That(RevocationList.None.IsRevoked(user: "mallory", subject: "x", tokenId: "y", keyFingerprint: "z"), Is.Null);
        Assert.That(RevocationList.None.FilePath, Is.Null);
        RevocationList.None.Dispose();
    }
}
