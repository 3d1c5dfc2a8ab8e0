using System.Buffers;
using System.IO.Pipelines;

namespace HoopProxy.Core.Networking;

/// <summary>
/// A transport (socket or stream) exposed as a pair of pipes, each pumped by its own loop, the way
/// Kestrel's socket transport does it. Both pipes have explicit pause/resume thresholds, so what a fast
/// sender can make the proxy hold is bounded: per direction of a session, about twice
/// <see cref="PipeSettings.PauseThreshold"/> (this side's input pipe and the other side's output pipe) plus one receive buffer.
/// </summary>
public abstract class PumpedDuplexPipe : IDuplexPipe, IAsyncDisposable
{
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly PipeSettings _settings;
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private int _disposed;

    protected PumpedDuplexPipe(PipeSettings settings)
    {
        _settings = settings;
        _input = new Pipe(settings.ToPipeOptions());
        _output = new Pipe(settings.ToPipeOptions());
    }

    /// <summary>Bytes that arrived from the peer.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>Bytes to send to the peer; flushing waits while the send side is above the pause threshold.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>Starts both pumps. <paramref name="alreadyReceived"/> holds bytes read from the transport before the pipe existed.</summary>
    protected void Start(ReadOnlySpan<byte> alreadyReceived)
    {
        if (!alreadyReceived.IsEmpty)
        {
            _input.Writer.Write(alreadyReceived);
        }

        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    /// <summary>Waits until the transport has data, without holding a buffer meanwhile (a zero-byte read; the count is always 0).</summary>
    protected abstract ValueTask<int> WaitForDataAsync();

    protected abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer);

    protected abstract ValueTask SendAsync(ReadOnlySequence<byte> buffer);

    /// <summary>Half-closes the transport after the last byte was sent.</summary>
    protected abstract void ShutdownSend();

    /// <summary>Closes the transport at once; pending receives and sends fail.</summary>
    public abstract void Abort();

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            // Publish bytes handed over by Start (read before this pipe existed), if any.
            var flushPrefix = await writer.FlushAsync();
            if (flushPrefix.IsCompleted)
            {
                return;
            }

            while (true)
            {
                if (_settings.WaitForDataBeforeAllocating)
                {
                    await WaitForDataAsync();
                }

                var memory = writer.GetMemory(_settings.MinimumReceiveBuffer);
                var received = await ReceiveAsync(memory);
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                var flush = await writer.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (IsConnectionError(e))
        {
            error = new ConnectionResetException("the peer reset the connection", e);
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            await writer.CompleteAsync(error);
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                try
                {
                    if (!buffer.IsEmpty)
                    {
                        await SendAsync(buffer);
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        break;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }

            ShutdownSend();
        }
        catch (Exception e) when (IsConnectionError(e))
        {
            error = new ConnectionResetException("the peer reset the connection", e);
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            await reader.CompleteAsync(error);
            // A failed send means the peer is gone: stop receiving too, so readers see the end.
            if (error is not null)
            {
                Abort();
            }
        }
    }

    private static bool IsConnectionError(Exception e) =>
        e is System.Net.Sockets.SocketException or IOException or ObjectDisposedException or OperationCanceledException;

    /// <summary>Completes the output (after what is queued is sent), then closes the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _output.Writer.CompleteAsync();
        // Give queued bytes (a final ErrorResponse, say) a bounded chance to leave before closing.
        await Task.WhenAny(_sending, Task.Delay(_settings.DrainOnCloseTimeout));
        Abort();
        await _input.Reader.CompleteAsync();
        try
        {
            await Task.WhenAll(_receiving, _sending);
        }
        catch (Exception e) when (IsConnectionError(e))
        {
            // The pumps already turned transport errors into pipe completions.
        }

        DisposeTransport();
        GC.SuppressFinalize(this);
    }

    protected abstract void DisposeTransport();
}
