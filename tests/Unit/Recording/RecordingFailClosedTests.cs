using System.Buffers;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Recording;

/// <summary>
/// When the directory cannot be written the session is refused (fail closed) or, if the operator chose so,
/// runs unrecorded with a warning. Tests run as root, where permissions do not stop writes, so the directory
/// is put under a regular file instead.
/// </summary>
public sealed class RecordingFailClosedTests
{
    private RecordingFixture _fixture = null!;

    [SetUp]
    public void SetUp() => _fixture = new RecordingFixture();

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    private string PathUnderAFile()
    {
        var file = Path.Combine(_fixture.Root, "not-a-directory");
        File.WriteAllText(file, "x");
        return Path.Combine(file, "sessions");
    }

    [Test]
    public async Task Opening_an_unusable_directory_fails_closed()
    {
        _fixture.Options = _fixture.Options with { Directory = PathUnderAFile() };
        var e = await Assert.ThrowsAsync<RecordingUnavailableException>(_fixture.OpenAsync);
        Assert.That(e!.Message, Does.Contain(_fixture.Options.Directory));
    }

    [Test]
    public async Task Opening_an_unusable_directory_fails_open_when_configured_and_warns()
    {
        _fixture.Options = _fixture.Options with { Directory = PathUnderAFile(), FailClosed = false };
        await using var store = await _fixture.OpenAsync();
        var recording = store.StartSession(RecordingFixture.Metadata("unrecorded"));
        Assert.That(recording, Is.InstanceOf<NoopSessionRecording>());
        await recording.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>("x"u8.ToArray()));
        await recording.WriteEventAsync("auth", new JsonObject { ["ok"] = true });
        await recording.CompleteAsync("done");
        Assert.That(_fixture.Logger.Entries.Where(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => e.Id.Id),
            Does.Contain(5001).And.Contain(5002));
    }

    [Test]
    public async Task A_directory_that_stops_being_writable_refuses_the_next_session()
    {
        await using var store = await _fixture.OpenAsync();
        await RecordingFixture.WriteShortSessionAsync(store, "before");

        // The directory disappears and a regular file takes its place: creating the session file fails.
        Directory.Move(_fixture.Options.Directory, _fixture.Options.Directory + ".moved");
        File.WriteAllText(_fixture.Options.Directory, "x");

        var e = Assert.Throws<RecordingUnavailableException>(() => store.StartSession(RecordingFixture.Metadata("after")));
        Assert.That(e!.Message, Does.Contain("after").And.Contain(_fixture.Options.Directory));
        Assert.That(e.InnerException, Is.InstanceOf<IOException>());
    }

    [Test]
    public async Task A_directory_that_stops_being_writable_gives_a_no_op_recording_when_failing_open()
    {
        _fixture.Options = _fixture.Options with { FailClosed = false };
        await using var store = await _fixture.OpenAsync();
        Directory.Move(_fixture.Options.Directory, _fixture.Options.Directory + ".moved");
        File.WriteAllText(_fixture.Options.Directory, "x");

        var recording = store.StartSession(RecordingFixture.Metadata("after"));
        Assert.That(recording, Is.InstanceOf<NoopSessionRecording>());
        Assert.That(recording.SessionId, Is.EqualTo("after"));
        Assert.That(_fixture.Logger.Entries.Any(e => e.Id.Id == 5002 && e.Message.Contains("after", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task Session_ids_that_are_not_file_names_are_refused()
    {
        await using var store = await _fixture.OpenAsync();
        foreach (var id in new[] { "", "../escape", "a/b", ".hidden", new string('x', 129) })
        {
            Assert.Throws<ArgumentException>(() => store.StartSession(RecordingFixture.Metadata(id)), id);
        }

        await RecordingFixture.WriteShortSessionAsync(store, "once");
        Assert.Throws<ArgumentException>(() => store.StartSession(RecordingFixture.Metadata("once")));
    }

    [Test]
    public async Task Writing_after_completion_is_an_error_not_a_silent_loss()
    {
        await using var store = await _fixture.OpenAsync();
        var recording = store.StartSession(RecordingFixture.Metadata("late"));
        await recording.CompleteAsync("done");
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await recording.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>("late"u8.ToArray())));
        Assert.That(store.Verify().IsValid, Is.True);
    }

    [Test]
    public async Task A_write_error_ends_that_recording_only_and_is_raised_to_its_session()
    {
        await using var store = await _fixture.OpenAsync();
        var failing = store.StartSession(RecordingFixture.Metadata("disk-error"));
        var healthy = store.StartSession(RecordingFixture.Metadata("healthy"));
        var thrown = 0;
        store.BeforeEachRecord = () => Interlocked.Exchange(ref thrown, 1) == 0 ? throw new IOException("No space left on device") : default(ValueTask);
        await failing.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>("boom"u8.ToArray()));

        var raised = await HoopProxy.Tests.Infrastructure.Poll.UntilAsync(async () =>
        {
            try
            {
                await failing.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>("more"u8.ToArray()));
                return false;
            }
            catch (RecordingUnavailableException e)
            {
                return e.Message.Contains("No space left", StringComparison.Ordinal);
            }
        }, TimeSpan.FromSeconds(5));
        Assert.That(raised, Is.True, "the session's next write reports the failure");
        await Assert.ThrowsAsync<RecordingUnavailableException>(async () => await failing.CompleteAsync("done"));
        Assert.That(_fixture.Logger.Entries.Any(e => e.Id.Id == 5101 && e.Message.Contains("disk-error", StringComparison.Ordinal)), Is.True);

        await healthy.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>("fine"u8.ToArray()));
        await healthy.CompleteAsync("done");
        Assert.That(_fixture.Verifier().VerifySession(_fixture.Options.Directory, "healthy").IsValid, Is.True);
    }
}
