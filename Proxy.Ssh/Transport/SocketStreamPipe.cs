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
