using System.Buffers;
using System.Runtime.CompilerServices;

namespace HoopProxy.Core.Networking;

/// <summary>A stream (in practice an SslStream over a socket) as a duplex pipe.</summary>
public sealed class StreamDuplexPipe : PumpedDuplexPipe
{
    private readonly Stream _stream;
    private readonly Action _abortTransport;

    /// <param name="abortTransport">Closes what is under the stream (the socket), so pending reads end at once.</param>
    public StreamDuplexPipe(Stream stream, PipeSettings settings, Action abortTransport)
        : base(settings)
    {
        _stream = stream;
        _abortTransport = abortTransport;
        Start(default);
    }

    // SslStream completes a zero-byte read when decrypted data is available, without holding a buffer.
#pragma warning disable CA2022 // a zero-byte read is a wait, not an inexact read
    protected override ValueTask<int> WaitForDataAsync() => _stream.ReadAsync(Memory<byte>.Empty);
#pragma warning restore CA2022

    protected override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => _stream.ReadAsync(buffer);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask SendAsync(ReadOnlySequence<byte> buffer)
    {
        foreach (var segment in buffer)
        {
            await _stream.WriteAsync(segment);
        }

        await _stream.FlushAsync();
    }

    protected override void ShutdownSend()
    {
        // TLS has its own close_notify; the socket is closed on dispose.
    }

    public override void Abort() => _abortTransport();

    protected override void DisposeTransport()
    {
        _abortTransport();
        _stream.Dispose();
    }
}
