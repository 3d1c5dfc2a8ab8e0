using System.IO.Pipelines;
using System.Net.Sockets;

namespace HoopProxy.Ssh.Transport;

/// <summary>
/// A socket as a duplex pipe without pump tasks: reads happen when the packet reader asks (so nothing is buffered
/// beyond one read, and a peer that is not read from is slowed by TCP itself), and a flush writes to the socket before
/// it completes (backpressure without a second buffer). For SSH, where every packet is decrypted and re-encrypted, the
/// thread hops of a pumped pipe cost more than the bytes (measured: docs/ssh.md, "Throughput").
/// </summary>
public sealed class SocketStreamPipe : IDuplexPipe, IAsyncDisposable
{
    /// <summary>Two OpenSSH packets (32 KiB each) and their framing per read.</summary>
    private const int ReadBufferSize = 64 * 1024 + 512;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    public SocketStreamPipe(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: 4096, leaveOpen: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
    }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Ends pending reads and writes at once (the peer vanished, or the session is being torn down).</summary>
    public void Abort() => _socket.Dispose();

    /// <summary>
    /// After a last message (a DISCONNECT the proxy sent on its own): ends our sending, then reads and drops what the
    /// peer still sends until it closes, at most <paramref name="timeout"/>. Closing a socket with unread data makes the
    /// kernel reset the connection, and a peer busy working through a stream of data (sending window adjustments as it
    /// goes) then fails on the reset — "Broken pipe" — before it reaches the DISCONNECT that says why.
    /// </summary>
    public async Task LingerAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await Output.FlushAsync(deadline.Token);
            _socket.Shutdown(SocketShutdown.Send);
            while (true)
            {
                var read = await Input.ReadAsync(deadline.Token);
                Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer did not close in time, reset the connection, or a read is still pending elsewhere: close anyway.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Input.CompleteAsync();
        try
        {
            // Completing the writer writes what is still buffered; a peer that already left makes that fail.
            await Output.CompleteAsync();
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The peer reset the connection, or it was aborted: nothing more to send.
        }

        await _stream.DisposeAsync();
    }
}
