using System.Buffers;
using HoopProxy.Core.Recording;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Recording;

/// <summary>A full queue slows the session's writer down; nothing is dropped.</summary>
public sealed class RecordingBackpressureTests
{
    [Test]
    public async Task A_full_queue_makes_writes_wait_and_loses_nothing()
    {
        using var fixture = new RecordingFixture(queueCapacity: 2);
        using var disk = new SemaphoreSlim(0);
        await using var store = await fixture.OpenAsync();
        // Whatever happens below, the stalled writer must be let go or disposing the store would wait for it forever.
        using var unstall = new Unstall(store, disk);
        var writerStalled = 0;
        store.BeforeEachRecord = async () =>
        {
            Interlocked.Exchange(ref writerStalled, 1);
            await disk.WaitAsync();
        };

        var recording = store.StartSession(RecordingFixture.Metadata("slow-disk"));
        static byte[] Payload(int i) => [(byte)i, (byte)(i >> 8), .. Enumerable.Repeat((byte)i, 1000)];

        // The first record reaches the writer, which then stalls on the "disk".
        await recording.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>(Payload(0)));
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref writerStalled) == 1), TimeSpan.FromSeconds(5)), Is.True,
            "the writer should be waiting on the slow disk");

        var written = 1;
        ValueTask blocked = default;
        for (; written < 200; written++)
        {
            var write = recording.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>(Payload(written)));
            if (!write.IsCompleted)
            {
                blocked = write;
                written++;
                break;
            }

            await write;
        }

        Assert.That(blocked.IsCompleted, Is.False, "a write should wait once the queue of 2 is full");
        Assert.That(written, Is.LessThanOrEqualTo(4), "the queue holds 2 records and the writer one more");

        // A write queued behind the blocked one waits too (its order is kept).
        var behind = recording.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>(Payload(written)));
        Assert.That(behind.IsCompleted, Is.False);
        written++;

        store.BeforeEachRecord = null;
        disk.Release(1000);
        await blocked;
        await behind;
        for (; written < 50; written++)
        {
            await recording.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>(Payload(written)));
        }

        await recording.CompleteAsync("done");
        var data = store.OpenSession("slow-disk").ReadRecords().Where(r => r.Type == RecordType.Data).Select(r => r.Data.ToArray()).ToList();
        Assert.That(data, Is.EqualTo(Enumerable.Range(0, 50).Select(Payload)));
        Assert.That(store.Verify().IsValid, Is.True);
    }

    [Test]
    public async Task A_cancelled_wait_returns_and_the_session_can_still_complete()
    {
        using var fixture = new RecordingFixture(queueCapacity: 1);
        using var disk = new SemaphoreSlim(0);
        await using var store = await fixture.OpenAsync();
        using var unstall = new Unstall(store, disk);
        var writerStalled = 0;
        store.BeforeEachRecord = async () =>
        {
            Interlocked.Exchange(ref writerStalled, 1);
            await disk.WaitAsync();
        };
        var recording = store.StartSession(RecordingFixture.Metadata("cancel"));
        await recording.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>(new byte[] { 255 }));
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref writerStalled) == 1), TimeSpan.FromSeconds(5)), Is.True);

        using var cancel = new CancellationTokenSource();
        ValueTask blocked = default;
        for (var i = 0; i < 50 && blocked.IsCompleted; i++)
        {
            blocked = recording.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>(new byte[] { (byte)i }), cancel.Token);
        }

        Assert.That(blocked.IsCompleted, Is.False);
        await cancel.CancelAsync();
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(blocked.IsCompleted), TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(async () => await blocked, Throws.InstanceOf<OperationCanceledException>());

        store.BeforeEachRecord = null;
        disk.Release(1000);
        await recording.CompleteAsync("client went away");
        Assert.That(store.Verify().IsValid, Is.True);
    }

    [Test]
    public async Task Writing_data_with_room_in_the_queue_allocates_nothing_on_the_callers_thread()
    {
        using var fixture = new RecordingFixture(queueCapacity: 100_000);
        await using var store = await fixture.OpenAsync();
        var recording = store.StartSession(RecordingFixture.Metadata("no-alloc"));
        var bytes = new ReadOnlySequence<byte>(new byte[200]);
        for (var i = 0; i < 2000; i++)
        {
            await recording.WriteDataAsync(RecordDirection.ClientToServer, bytes);
        }

        // Batches of 100 with the writer caught up in between: buffers in flight come from the pool, not new arrays.
        var pending = 0;
        long allocated = 0;
        for (var batch = 0; batch < 20; batch++)
        {
            await recording.FlushAsync();
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                if (!recording.WriteDataAsync(RecordDirection.ServerToClient, bytes).IsCompletedSuccessfully)
                {
                    pending++;
                }
            }

            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.That(pending, Is.Zero);
        Assert.That(allocated, Is.LessThan(2000), "the fast path copies into pooled buffers and queues a struct");
        await recording.CompleteAsync("done");
        Assert.That(store.OpenSession("no-alloc").ReadRecords().Count(r => r.Type == RecordType.Data), Is.EqualTo(4000));
    }

    private sealed class Unstall(RecordingStore store, SemaphoreSlim disk) : IDisposable
    {
        public void Dispose()
        {
            store.BeforeEachRecord = null;
            disk.Release(1000);
        }
    }
}
