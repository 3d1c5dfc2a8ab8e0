using System.Buffers;
using BenchmarkDotNet.Attributes;
using HoopProxy.Postgres.Protocol;

namespace HoopProxy.Benchmarks.Postgres.Protocol;

/// <summary>
/// <see cref="MessageHeader.TryRead"/> + <see cref="MessageHeader.Validate"/> walked over a buffer of 1000 DataRows
/// (~85 bytes each, plus CommandComplete and ReadyForQuery): what <c>MessageRelay.Scan</c> does for every message.
/// </summary>
[MemoryDiagnoser]
public class MessageHeaderBenchmarks
{
    private const int Rows = 1000;
    private ReadOnlySequence<byte> _buffer;

    /// <summary>One contiguous array, or the 4 KiB segments a <c>Pipe</c> with <c>minimumSegmentSize: 4096</c> hands out (headers then straddle segment ends now and then).</summary>
    [Params(false, true)]
    public bool Segmented { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var bytes = BackendStream.QueryResult(Rows);
        _buffer = Segmented ? BackendStream.Segmented(bytes, 4096) : new ReadOnlySequence<byte>(bytes);
        if (Walk() != BackendStream.CountMessages(bytes))
        {
            throw new InvalidOperationException("the benchmark input does not parse");
        }
    }

    /// <summary>Reported per message (OperationsPerInvoke = 1002). Expected: 0 B (measured: 0 B per message and per batch).</summary>
    [Benchmark(OperationsPerInvoke = Rows + 2)]
    public int ReadAndValidateHeaders() => Walk();

    private int Walk()
    {
        var rest = _buffer;
        var count = 0;
        while (MessageHeader.TryRead(rest, out var header))
        {
            header.Validate(0x3fffffff, "server");
            rest = rest.Slice(header.TotalLength);
            count++;
        }

        return count;
    }
}
