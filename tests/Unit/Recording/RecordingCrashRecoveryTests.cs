using System.Buffers;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Recording;

/// <summary>
/// A process killed mid-session leaves an unsealed file; the next store seals it as "interrupted" with every
/// record that had been flushed, cuts off (and reports) a torn last record, and the result verifies.
/// </summary>
[TestFixture(RecordingCompression.None)]
[TestFixture(RecordingCompression.Zstd)]
public sealed class RecordingCrashRecoveryTests(RecordingCompression compression)
{
    private RecordingFixture _fixture = null!;

    [SetUp]
    public void SetUp() => _fixture = new RecordingFixture(compression);

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    private static byte[] Payload(int i) => [.. "row-"u8, (byte)i, .. Enumerable.Repeat((byte)'x', 100 + i)];

    private static int CountRecords(string path)
    {
        using var scanner = new RecordScanner(path);
        var n = 0;
        while (scanner.TryReadNext(out _))
        {
            n++;
        }

        return n;
    }

    /// <summary>Writes a start, 20 data records and an event, and waits (without an explicit flush) until the flush interval has put them on disk.</summary>
    private async Task<ISessionRecording> WriteWithoutSealingAsync(RecordingStore store, string sessionId)
    {
        var recording = store.StartSession(RecordingFixture.Metadata(sessionId));
        for (var i = 0; i < 20; i++)
        {
            await recording.WriteDataAsync(i % 2 == 0 ? RecordDirection.ClientToServer : RecordDirection.ServerToClient, new ReadOnlySequence<byte>(Payload(i)));
        }

        await recording.WriteEventAsync("statement", new JsonObject { ["text"] = "UPDATE t SET x = 1" });
        var path = _fixture.SessionPath(sessionId);
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(CountRecords(path) == 22), TimeSpan.FromSeconds(10)), Is.True,
            "the records did not reach the file within the flush interval");
        return recording;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from).Where(f => Path.GetFileName(f) != RecordingFormat.LockFileName))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private void AssertRecoveredSession(RecordingStore store, string sessionId, long tornBytes)
    {
        var recovered = store.Recovered.Single(r => r.SessionId == sessionId);
        Assert.That((recovered.Action, recovered.Records, recovered.TruncatedBytes), Is.EqualTo((RecoveryAction.SealedAsInterrupted, 22L, tornBytes)));

        var records = store.OpenSession(sessionId).ReadRecords().ToList();
        Assert.That(records.Select(r => r.Type), Is.EqualTo(new[] { RecordType.Start }
            .Concat(Enumerable.Repeat(RecordType.Data, 20)).Append(RecordType.Event).Append(RecordType.End).Append(RecordType.Seal)));
        Assert.That(records.Where(r => r.Type == RecordType.Data).Select(r => r.Data.ToArray()), Is.EqualTo(Enumerable.Range(0, 20).Select(Payload)));
        Assert.That(records[^2].Fields!["reason"]!.GetValue<string>(), Is.EqualTo("interrupted"));
        var seal = records[^1].Seal!;
        Assert.That(seal.EndReason, Is.EqualTo("interrupted"));
        Assert.That(seal.Recovery, Is.Not.Null);
        Assert.That(seal.Recovery!.TruncatedBytes, Is.EqualTo(tornBytes));

        var summary = store.ListSessions().Single(s => s.SessionId == sessionId);
        Assert.That((summary.State, summary.EndReason), Is.EqualTo((SessionState.Sealed, "interrupted")));
        var report = store.Verify();
        Assert.That(report.IsValid, Is.True, report.ToString());
    }

    [Test]
    public async Task A_killed_process_leaves_flushed_records_that_are_sealed_as_interrupted()
    {
        var snapshot = Path.Combine(_fixture.Root, "after-kill");
        await using (var store = await _fixture.OpenAsync())
        {
            await RecordingFixture.WriteShortSessionAsync(store, "done-before");
            await WriteWithoutSealingAsync(store, "killed");
            // What a kill -9 leaves: exactly the bytes that reached the file, and no seal.
            CopyDirectory(_fixture.Options.Directory, snapshot);
        }

        _fixture.Options = _fixture.Options with { Directory = snapshot };
        await using var recovering = await _fixture.OpenAsync();
        Assert.That(recovering.Recovered.Select(r => r.SessionId), Is.EqualTo(new[] { "killed" }));
        AssertRecoveredSession(recovering, "killed", tornBytes: 0);
        Assert.That(_fixture.Logger.Entries.Any(e => e.Id.Id == 5110 && e.Message.Contains("killed", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task An_abandoned_store_is_recovered_by_the_next_one_on_the_same_directory()
    {
        var store = await _fixture.OpenAsync();
        await WriteWithoutSealingAsync(store, "abandoned");
        await store.AbandonAsync();

        await using var next = await _fixture.OpenAsync();
        AssertRecoveredSession(next, "abandoned", tornBytes: 0);
    }

    [Test]
    public async Task A_torn_last_record_is_cut_off_kept_aside_and_reported()
    {
        var store = await _fixture.OpenAsync();
        await WriteWithoutSealingAsync(store, "torn");
        await store.AbandonAsync();

        // Half of a record, as an append interrupted by the kill would leave it.
        var path = _fixture.SessionPath("torn");
        var intact = new FileInfo(path).Length;
        var half = new byte[RecordingFormat.RecordHeaderSize + 40];
        new RecordHeader(500, RecordType.Data, 0, (byte)RecordDirection.ClientToServer, 22, TimeSpan.TicksPerSecond).WriteTo(half);
        using (var file = new FileStream(path, FileMode.Append))
        {
            file.Write(half);
        }

        await using var next = await _fixture.OpenAsync();
        AssertRecoveredSession(next, "torn", tornBytes: half.Length);
        var recovered = next.Recovered.Single();
        Assert.That(recovered.TruncatedAt, Is.EqualTo(intact));
        Assert.That(File.ReadAllBytes(recovered.PreservedTornBytesFile!), Is.EqualTo(half));
        Assert.That(next.OpenSession("torn").ReadRecords().Last().Seal!.Recovery!.TruncatedAt, Is.EqualTo(intact));
        Assert.That(_fixture.Logger.Entries.Any(e => e.Id.Id == 5110 && e.Message.Contains($"{half.Length} at offset {intact}", StringComparison.Ordinal)), Is.True,
            string.Join("\n", _fixture.Logger.Entries.Select(e => e.Message)));
    }

    [Test]
    public async Task A_zero_filled_tail_counts_as_torn()
    {
        var store = await _fixture.OpenAsync();
        await WriteWithoutSealingAsync(store, "zeros");
        await store.AbandonAsync();
        using (var file = new FileStream(_fixture.SessionPath("zeros"), FileMode.Append))
        {
            file.Write(new byte[4096]);
        }

        await using var next = await _fixture.OpenAsync();
        AssertRecoveredSession(next, "zeros", tornBytes: 4096);
    }

    [Test]
    public async Task A_damaged_unsealed_file_is_not_sealed_over()
    {
        var store = await _fixture.OpenAsync();
        await WriteWithoutSealingAsync(store, "damaged");
        await store.AbandonAsync();
        var path = _fixture.SessionPath("damaged");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        await using var next = await _fixture.OpenAsync();
        var recovered = next.Recovered.Single();
        Assert.That(recovered.Action, Is.EqualTo(RecoveryAction.LeftUnsealed));
        Assert.That(recovered.Problem, Does.Contain("does not match its hash"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(bytes), "recovery must not modify a damaged file");
        Assert.That(next.ListSessions().Single().State, Is.EqualTo(SessionState.Unsealed));
        var kinds = next.Verify().Problems.Select(p => p.Kind).ToList();
        Assert.That(kinds, Does.Contain(ProblemKind.HashMismatch).And.Contain(ProblemKind.NotSealed).And.Contain(ProblemKind.NotInIndex));
    }

    [Test]
    public async Task A_session_sealed_but_not_indexed_is_indexed_on_open()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await RecordingFixture.WriteShortSessionAsync(store, "one");
            await RecordingFixture.WriteShortSessionAsync(store, "two");
        }

        // The crash came between fsyncing the seal and appending the index line; half the line made it.
        var lines = File.ReadAllLines(_fixture.IndexPath);
        File.WriteAllText(_fixture.IndexPath, lines[0] + "\n" + lines[1][..20]);

        await using var next = await _fixture.OpenAsync();
        Assert.That(next.Recovered.Single().Action, Is.EqualTo(RecoveryAction.Indexed));
        Assert.That(_fixture.Logger.Entries.Any(e => e.Id.Id == 5003), Is.True, "the removed partial index line is reported");
        var report = next.Verify();
        Assert.That(report.IsValid, Is.True, report.ToString());
        Assert.That(File.ReadAllLines(_fixture.IndexPath), Has.Length.EqualTo(2));
    }

    [Test]
    public async Task A_second_store_cannot_open_a_directory_in_use()
    {
        await using var store = await _fixture.OpenAsync();
        var e = await Assert.ThrowsAsync<RecordingUnavailableException>(_fixture.OpenAsync);
        Assert.That(e!.Message, Does.Contain(_fixture.Options.Directory));
    }

    [Test]
    public async Task Closing_the_store_seals_open_sessions()
    {
        await using (var store = await _fixture.OpenAsync())
        {
            await WriteWithoutSealingAsync(store, "open-at-shutdown");
        }

        await using var next = await _fixture.OpenAsync();
        Assert.That(next.Recovered, Is.Empty);
        Assert.That(next.ListSessions().Single().EndReason, Is.EqualTo("proxy stopped"));
        Assert.That(next.Verify().IsValid, Is.True);
    }
}
