using System.Buffers;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Tests.Unit.Postgres;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Recording;

/// <summary>What is written is read back exactly, in order, and the sealed, indexed result verifies.</summary>
[TestFixture(RecordingCompression.None)]
[TestFixture(RecordingCompression.Zstd)]
public sealed class RecordingRoundTripTests(RecordingCompression compression)
{
    private RecordingFixture _fixture = null!;

    [SetUp]
    public void SetUp() => _fixture = new RecordingFixture(compression);

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    [Test]
    public async Task A_session_reads_back_exactly_and_verifies()
    {
        var random = new Random(1234);
        var big = new byte[5 * 1024 * 1024];
        random.NextBytes(big.AsSpan(0, big.Length / 2)); // half random, half compressible zeros
        var query = "Q\0\0\0\u001aSELECT * FROM accounts\0"u8.ToArray();
        var multi = Segments.SplitAt(Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray(), 0, 1, 17, 500, 999, 1000);
        var rowDescription = Enumerable.Range(0, 700).Select(i => (byte)(i * 31)).ToArray();

        await using (var store = await _fixture.OpenAsync())
        {
            var recording = store.StartSession(RecordingFixture.Metadata("s-1"));
            await recording.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>(query));
            await recording.WriteEventAsync("statement", new JsonObject { ["text"] = "SELECT * FROM accounts", ["verdict"] = "allow" });
            await recording.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>(rowDescription));
            await recording.WriteDataAsync(RecordDirection.ClientToServer, multi);
            await recording.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>(big));
            await recording.WriteEventAsync("outcome", new JsonObject { ["rows"] = 42, ["tag"] = "SELECT 42" });
            await recording.CompleteAsync("client disconnected");
            await recording.CompleteAsync("ignored: completion is idempotent");

            var reader = store.OpenSession("s-1");
            var metadata = RecordingFixture.Metadata("s-1");
            Assert.That(reader.Metadata with { Groups = metadata.Groups }, Is.EqualTo(metadata));
            Assert.That(reader.Metadata.Groups, Is.EqualTo(metadata.Groups));

            var records = reader.ReadRecords().ToList();
            Assert.That(reader.Incomplete, Is.Null);
            Assert.That(records.Select(r => r.Number), Is.EqualTo(Enumerable.Range(0, records.Count).Select(i => (long)i)));
            Assert.That(records.All(r => r.HashValid), Is.True);
            Assert.That(records[0].Type, Is.EqualTo(RecordType.Start));
            Assert.That(records[^2].Type, Is.EqualTo(RecordType.End));
            Assert.That(records[^2].Fields!["reason"]!.GetValue<string>(), Is.EqualTo("client disconnected"));
            Assert.That(records[^1].Type, Is.EqualTo(RecordType.Seal));

            // Data chunks of one write share its timestamp; merging consecutive same-direction chunks restores the writes.
            var writes = new List<(string Kind, byte[] Bytes)>();
            foreach (var r in records.Skip(1).SkipLast(2))
            {
                if (r.Type == RecordType.Event)
                {
                    writes.Add((r.EventType! + " " + r.Fields!.ToJsonString(), []));
                }
                else if (writes.Count > 0 && writes[^1].Kind == r.Direction.ToString())
                {
                    writes[^1] = (writes[^1].Kind, [.. writes[^1].Bytes, .. r.Data.ToArray()]);
                }
                else
                {
                    writes.Add((r.Direction.ToString()!, r.Data.ToArray()));
                }
            }

            Assert.That(writes.Select(w => w.Kind), Is.EqualTo(new[]
            {
                "ClientToServer", """statement {"text":"SELECT * FROM accounts","verdict":"allow"}""", "ServerToClient",
                "ClientToServer", "ServerToClient", """outcome {"rows":42,"tag":"SELECT 42"}""",
            }));
            Assert.That(writes[0].Bytes, Is.EqualTo(query));
            Assert.That(writes[2].Bytes, Is.EqualTo(rowDescription));
            Assert.That(writes[3].Bytes, Is.EqualTo(multi.ToArray()));
            Assert.That(writes[4].Bytes.AsSpan().SequenceEqual(big), Is.True, "the 5 MB payload differs");
            Assert.That(records.Count(r => r.Type == RecordType.Data && r.Direction == RecordDirection.ServerToClient),
                Is.EqualTo(1 + (big.Length + RecordingFormat.MaxDataChunkBytes - 1) / RecordingFormat.MaxDataChunkBytes));

            // Timestamps are the recording's wall clock plus a monotonic offset: never decreasing.
            Assert.That(records.Select(r => r.Elapsed), Is.Ordered);
            Assert.That(records.Select(r => r.Timestamp), Is.Ordered);

            var seal = records[^1].Seal!;
            Assert.That((seal.SessionId, seal.RecordCount, seal.EndReason, seal.ClientBytes, seal.ServerBytes),
                Is.EqualTo(("s-1", (long)records.Count - 1, "client disconnected", (long)(query.Length + 1000), (long)(rowDescription.Length + big.Length))));
            Assert.That(seal.FirstTimestamp, Is.EqualTo(records[0].Timestamp));
            Assert.That(seal.LastTimestamp, Is.EqualTo(records[^2].Timestamp));
            Assert.That(seal.PublicKey, Is.EqualTo(_fixture.Key.PublicKey));
            Assert.That(seal.Recovery, Is.Null);

            var report = store.Verify();
            Assert.That(report.IsValid, Is.True, report.ToString());
            Assert.That((report.SessionsChecked, report.RecordsChecked), Is.EqualTo((1, (long)records.Count)));
            Assert.That(store.Verify("s-1").IsValid, Is.True);

            var summary = store.ListSessions().Single();
            Assert.That((summary.SessionId, summary.State, summary.Protocol, summary.Target, summary.Identity, summary.EndReason, summary.RecordCount),
                Is.EqualTo(("s-1", SessionState.Sealed, "postgres", "bank", "alice", "client disconnected", (long?)records.Count)));
            Assert.That(summary.FileBytes, Is.EqualTo(new FileInfo(_fixture.SessionPath("s-1")).Length));
            Assert.That((summary.ClientBytes, summary.ServerBytes), Is.EqualTo(((long?)seal.ClientBytes, (long?)seal.ServerBytes)));
        }

        var size = new FileInfo(_fixture.SessionPath("s-1")).Length;
        if (compression == RecordingCompression.Zstd)
        {
            Assert.That(size, Is.LessThan(big.Length * 3 / 4), "half of the big payload is zeros; zstd should shrink it");
        }
        else
        {
            Assert.That(size, Is.GreaterThan(big.Length));
        }

        // An independent verifier (the CLI's) with only the public key agrees.
        Assert.That(_fixture.Verifier().VerifyDirectory(_fixture.Options.Directory).IsValid, Is.True);
    }

    [Test]
    public async Task Sessions_are_chained_in_the_index_and_listed_with_active_ones()
    {
        await using var store = await _fixture.OpenAsync();
        await RecordingFixture.WriteShortSessionAsync(store, "a");
        await RecordingFixture.WriteShortSessionAsync(store, "b");
        var active = store.StartSession(RecordingFixture.Metadata("c"));
        await active.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>("hello"u8.ToArray()));

        var lines = File.ReadAllLines(_fixture.IndexPath);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.Contain(new string('0', 64)));
        Assert.That(lines[1], Does.Contain(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(lines[0])))));

        var list = store.ListSessions();
        Assert.That(list.Select(s => (s.SessionId, s.State)), Is.EqualTo(new[] { ("a", SessionState.Sealed), ("b", SessionState.Sealed), ("c", SessionState.Active) }));

        var report = store.Verify();
        Assert.That(report.IsValid, Is.True, report.ToString());
        Assert.That(report.ActiveSkipped, Is.EqualTo(new[] { "c" }));

        await active.CompleteAsync("done");
        Assert.That(store.Verify().IsValid, Is.True);
        Assert.That(store.ListSessions().Select(s => s.State), Is.All.EqualTo(SessionState.Sealed));
    }

    [Test]
    public async Task Both_directions_writing_at_once_keep_timestamp_order_and_lose_nothing()
    {
        await using var store = await _fixture.OpenAsync();
        var recording = store.StartSession(RecordingFixture.Metadata("concurrent"));
        async Task Pump(RecordDirection direction, byte tag)
        {
            for (var i = 0; i < 500; i++)
            {
                await recording.WriteDataAsync(direction, new ReadOnlySequence<byte>(new[] { tag, (byte)i, (byte)(i >> 8) }));
            }
        }

        await Task.WhenAll(Task.Run(() => Pump(RecordDirection.ClientToServer, 1)), Task.Run(() => Pump(RecordDirection.ServerToClient, 2)));
        await recording.CompleteAsync("done");

        var records = store.OpenSession("concurrent").ReadRecords().Where(r => r.Type == RecordType.Data).ToList();
        Assert.That(records.Select(r => r.Elapsed), Is.Ordered);
        foreach (var direction in new[] { RecordDirection.ClientToServer, RecordDirection.ServerToClient })
        {
            var mine = records.Where(r => r.Direction == direction).Select(r => r.Data.Span[1] | (r.Data.Span[2] << 8)).ToList();
            Assert.That(mine, Is.EqualTo(Enumerable.Range(0, 500)), direction.ToString());
        }

        Assert.That(store.Verify().IsValid, Is.True);
    }

    [Test]
    public async Task FlushAsync_puts_queued_records_in_the_file_and_events_are_copied_at_the_call()
    {
        _fixture.Options = _fixture.Options with { FlushInterval = TimeSpan.FromHours(1) };
        await using var store = await _fixture.OpenAsync();
        var recording = store.StartSession(RecordingFixture.Metadata("flushed"));
        var fields = new JsonObject { ["text"] = "SELECT 1" };
        await recording.WriteEventAsync("statement", fields);
        fields["text"] = "changed after the call";
        await recording.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>(new byte[100]));
        await recording.FlushAsync();

        var records = store.OpenSession("flushed").ReadRecords().ToList();
        Assert.That(records.Select(r => r.Type), Is.EqualTo(new[] { RecordType.Start, RecordType.Event, RecordType.Data }));
        Assert.That(records[1].Fields!["text"]!.GetValue<string>(), Is.EqualTo("SELECT 1"));
        Assert.That(records.All(r => r.HashValid), Is.True);
        await recording.CompleteAsync("done");
    }

    [Test]
    public async Task The_store_logs_no_record_contents()
    {
        const string secret = "s3cr3t-marker-9f2c";
        await using (var store = await _fixture.OpenAsync())
        {
            var recording = store.StartSession(RecordingFixture.Metadata("quiet"));
            await recording.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>(System.Text.Encoding.UTF8.GetBytes(secret)));
            await recording.WriteEventAsync("statement", new JsonObject { ["text"] = secret });
            await recording.CompleteAsync("done");
        }

        Assert.That(_fixture.Logger.Entries, Is.Not.Empty, "the store logs its opening and each seal");
        Assert.That(_fixture.Logger.Entries.Select(e => e.Message), Has.None.Contains(secret));
    }
}
