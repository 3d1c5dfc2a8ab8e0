using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HoopProxy.Core.Networking;

/// <summary>A plaintext TCP socket as a duplex pipe.</summary>
public sealed class SocketDuplexPipe : PumpedDuplexPipe
{
    private readonly Socket _socket;
    private readonly List<ArraySegment<byte>> _gather = [];

    public SocketDuplexPipe(Socket socket, PipeSettings settings, ReadOnlySpan<byte> alreadyReceived = default)
        : base(settings)
    {
        _socket = socket;
        _socket.NoDelay = true;
        Start(alreadyReceived);
    }

    // Returned as is, not awaited in an async method: an async ValueTask that completes later boxes a state machine per wait.
    protected override ValueTask<int> WaitForDataAsync() => _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);

    protected override ValueTask<int> ReceiveAsync(Memory<byte> buffer) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None);

    // Pooled: a send that has to wait for the socket would otherwise allocate its state machine each time.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected override async ValueTask SendAsync(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            await _socket.SendAsync(buffer.First, SocketFlags.None);
            return;
        }

        // One gathered send instead of a system call per segment. Pipe memory is array-backed; should a
        // segment not be, everything is sent in order, one segment at a time, never out of order.
        _gather.Clear();
        foreach (var segment in buffer)
        {
            if (!MemoryMarshal.TryGetArray(segment, out var array))
            {
                _gather.Clear();
                foreach (var each in buffer)
                {
                    await _socket.SendAsync(each, SocketFlags.None);
                }

                return;
            }

            _gather.Add(array);
        }

        await _socket.SendAsync(_gather, SocketFlags.None);
    }

    protected override void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already gone: nothing left to tell the peer.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override void Abort() => _socket.Dispose();

    protected override void DisposeTransport() => _socket.Dispose();
}
