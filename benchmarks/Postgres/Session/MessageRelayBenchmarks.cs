using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using HoopProxy.Core.Networking;
using HoopProxy.Postgres.Session;

namespace HoopProxy.Benchmarks.Postgres.Session;

/// <summary>
/// The server-to-client relay: one query's reply (1000 unmodified DataRows of ~85 bytes, CommandComplete,
/// ReadyForQuery; 87 KB) pushed through a <see cref="MessageRelay"/> from one <see cref="Pipe"/> to another,
/// with the session's real <see cref="BackendObserver"/> (it wants only ReadyForQuery). Both pipes use the
/// proxy's own <see cref="PipeSettings.Default"/> (inline schedulers, 4 KiB segments, 1 MiB pause threshold).
/// The relay runs for the whole benchmark, as in a session: each batch is written into the source pipe in
/// chunks of <see cref="ChunkBytes"/> (the size of a socket receive), each flush runs the relay inline, and
/// the destination is drained after the batch. Everything is measured per batch.
/// <see cref="PlainCopy"/> is the same pump without message tracking: the floor any relay pays.
/// </summary>
[MemoryDiagnoser]
public class MessageRelayBenchmarks
{
    private const int Rows = 1000;
    private byte[] _batch = [];
    private Pipe _relaySource = null!;
    private Pipe _relayDestination = null!;
    private Pipe _copySource = null!;
    private Pipe _copyDestination = null!;
    private MessageRelay _relay = null!;
    private Task<RelayEnd> _relayRun = null!;
    private Task _copyRun = null!;

    /// <summary>16 KiB is one socket receive of the proxy's default buffer; 0 means the whole 87 KB batch in one write and one read.</summary>
    [Params(16 * 1024, 0)]
    public int ChunkBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batch = BackendStream.QueryResult(Rows);
        var options = PipeSettings.Default.ToPipeOptions();
        _relaySource = new Pipe(options);
        _relayDestination = new Pipe(options);
        _copySource = new Pipe(options);
        _copyDestination = new Pipe(options);

        var backendObserver = new BackendObserver(new DrainGate(HoopProxy.Postgres.Protocol.Backend.TransactionStatus.Idle));
        _relay = new MessageRelay(_relaySource.Reader, _relayDestination.Writer, backendObserver,
            maxMessageBytes: 0x3fffffff, maxWholeMessageBytes: PipeSettings.Default.PauseThreshold, sourceName: "server");
        _relayRun = _relay.RunAsync(CancellationToken.None);
        _copyRun = CopyPumpAsync(_copySource.Reader, _copyDestination.Writer);

        var before = _relay.MessageCount;
        if (Relay() != _batch.Length || _relay.MessageCount - before != Rows + 2 || PlainCopy() != _batch.Length)
        {
            throw new InvalidOperationException("the relay did not forward the batch intact");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _relaySource.Writer.Complete();
        _copySource.Writer.Complete();
        if (_relayRun.GetAwaiter().GetResult() != RelayEnd.SourceClosed)
        {
            throw new InvalidOperationException("the relay ended for another reason than the source closing");
        }

        _copyRun.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Expected: 0 B per batch (1002 messages), whatever the chunk size: the relay's async state machine is
    /// allocated once when it first waits and reused, pipe reads and flushes complete from pooled
    /// IValueTaskSource objects, segments come from the pipes' pools, headers are read in place.
    /// </summary>
    [Benchmark]
    public long Relay() => Push(_relaySource, _relayDestination);

    /// <summary>Expected: 0 B per batch. Baseline: copies bytes pipe to pipe without looking at them.</summary>
    [Benchmark(Baseline = true)]
    public long PlainCopy() => Push(_copySource, _copyDestination);

    /// <summary>Writes the batch into <paramref name="source"/> chunk by chunk (each flush runs the pump inline), then drains <paramref name="destination"/>.</summary>
    private long Push(Pipe source, Pipe destination)
    {
        var chunk = ChunkBytes <= 0 ? _batch.Length : ChunkBytes;
        for (var offset = 0; offset < _batch.Length; offset += chunk)
        {
            source.Writer.Write(_batch.AsSpan(offset, Math.Min(chunk, _batch.Length - offset)));
            var flush = source.Writer.FlushAsync();
            if (!flush.IsCompletedSuccessfully)
            {
                flush.AsTask().GetAwaiter().GetResult();
            }
        }

        if (!destination.Reader.TryRead(out var result))
        {
            throw new InvalidOperationException("nothing reached the destination");
        }

        var length = result.Buffer.Length;
        destination.Reader.AdvanceTo(result.Buffer.End);
        return length;
    }

    private static async Task CopyPumpAsync(PipeReader source, PipeWriter destination)
    {
        while (true)
        {
            var result = await source.ReadAsync();
            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                destination.Write(segment.Span);
            }

            source.AdvanceTo(buffer.End);
            await destination.FlushAsync();
            if (result.IsCompleted)
            {
                return;
            }
        }
    }
}
