using System.Buffers;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace HoopProxy.Core.Recording;

/// <summary>
/// A session being recorded. Calls copy their bytes into pooled buffers and queue them for the writer task; a
/// per-session gate makes "take the timestamp, enqueue" one step, so the two relay directions calling at once
/// still produce records in timestamp order. The gate is uncontended on the fast path (no allocation).
/// </summary>
internal sealed class SessionRecorder : ISessionRecording
{
    private readonly RecordingWriter _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly long _startTimestamp;
    private volatile Exception? _fault;

    /// <summary>How this session's payloads compress; touched only by the writer task.</summary>
    internal CompressionBackoff Compression;
    private bool _completed;
    private readonly Lock _completionLock = new();
    private Task? _completion;

    public SessionRecorder(RecordingWriter writer, SessionMetadata metadata, SessionFileWriter file, long startTimestamp)
    {
        _writer = writer;
        Metadata = metadata;
        File = file;
        _startTimestamp = startTimestamp;
    }

    public string SessionId => Metadata.SessionId;
    public SessionMetadata Metadata { get; }

    /// <summary>Touched only by the writer task once the recorder has been returned from StartSession.</summary>
    internal SessionFileWriter File { get; }

    /// <summary>Writer-task bookkeeping: already in the list of files with unflushed records.</summary>
    internal bool InDirtyList { get; set; }

    internal bool IsFaulted => _fault is not null;

    internal void Fail(Exception exception) => _fault ??= exception;

    public ValueTask WriteDataAsync(RecordDirection direction, ReadOnlySequence<byte> bytes, CancellationToken cancellationToken = default)
    {
        if (direction is not (RecordDirection.ClientToServer or RecordDirection.ServerToClient))
        {
            throw new ArgumentOutOfRangeException(nameof(direction), direction, "not a recordable direction");
        }

        if (bytes.IsEmpty)
        {
            return default;
        }

        if (!_gate.Wait(0))
        {
            return WriteDataContendedAsync(direction, bytes, cancellationToken);
        }

        var handedOff = false;
        try
        {
            ThrowIfUnusable();
            var elapsed = Elapsed();
            var remaining = bytes;
            while (!remaining.IsEmpty)
            {
                var item = CopyChunk(direction, elapsed, ref remaining);
                if (!_writer.TryEnqueue(item))
                {
                    handedOff = true;
                    return EnqueueRestAsync(item, direction, elapsed, remaining, cancellationToken);
                }
            }

            return default;
        }
        finally
        {
            if (!handedOff)
            {
                _gate.Release();
            }
        }
    }

    private async ValueTask WriteDataContendedAsync(RecordDirection direction, ReadOnlySequence<byte> bytes, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ThrowIfUnusable();
            var elapsed = Elapsed();
            var remaining = bytes;
            while (!remaining.IsEmpty)
            {
                await _writer.EnqueueAsync(CopyChunk(direction, elapsed, ref remaining), cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The queue was full: wait for room (backpressure), holding the gate so later calls stay behind.</summary>
    private async ValueTask EnqueueRestAsync(RecordItem pending, RecordDirection direction, long elapsed, ReadOnlySequence<byte> remaining, CancellationToken cancellationToken)
    {
        try
        {
            await _writer.EnqueueAsync(pending, cancellationToken);
            while (!remaining.IsEmpty)
            {
                await _writer.EnqueueAsync(CopyChunk(direction, elapsed, ref remaining), cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private RecordItem CopyChunk(RecordDirection direction, long elapsed, ref ReadOnlySequence<byte> remaining)
    {
        var length = (int)Math.Min(remaining.Length, RecordingFormat.MaxDataChunkBytes);
        var buffer = RecordBuffers.Pool.Rent(length);
        var chunk = remaining.Slice(0, length);
        chunk.CopyTo(buffer);
        remaining = remaining.Slice(chunk.End);
        return new RecordItem(this, RecordItemKind.Data, direction, elapsed, buffer, length, null, null);
    }

    public ValueTask WriteEventAsync(string type, JsonObject fields, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(fields);
        return WriteEventAsync(new JsonRecordedEvent(type, fields), cancellationToken);
    }

    public async ValueTask WriteEventAsync(IRecordedEvent recordedEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recordedEvent);
        ArgumentException.ThrowIfNullOrEmpty(recordedEvent.Type);
        var buffer = RecordPayloads.RentEvent(recordedEvent, out var length);
        try
        {
            await _gate.WaitAsync(cancellationToken);
        }
        catch
        {
            RecordBuffers.Pool.Return(buffer);
            throw;
        }

        try
        {
            if (Unusable() is { } error)
            {
                RecordBuffers.Pool.Return(buffer);
                throw error;
            }

            // EnqueueAsync returns the buffer to the pool itself when it fails.
            await _writer.EnqueueAsync(new RecordItem(this, RecordItemKind.Event, 0, Elapsed(), buffer, length, null, null), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ThrowIfUnusable();
            await _writer.EnqueueAsync(new RecordItem(this, RecordItemKind.Flush, 0, 0, null, 0, null, done), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        await done.Task.WaitAsync(cancellationToken);
    }

    public ValueTask CompleteAsync(string endReason)
    {
        ArgumentNullException.ThrowIfNull(endReason);
        lock (_completionLock)
        {
            _completion ??= CompleteCoreAsync(endReason);
            return new ValueTask(_completion);
        }
    }

    private async Task CompleteCoreAsync(string endReason)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _gate.WaitAsync();
        try
        {
            ThrowIfUnusable();
            _completed = true;
            await _writer.EnqueueAsync(new RecordItem(this, RecordItemKind.Complete, 0, Elapsed(), null, 0, endReason, done), CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }

        await done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CompleteAsync("closed without an end reason");
        }
        catch (RecordingUnavailableException)
        {
            // Already logged by the writer; disposal runs in finally blocks and must not mask the original error.
        }
    }

    private long Elapsed() => Stopwatch.GetElapsedTime(_startTimestamp).Ticks;

    private void ThrowIfUnusable()
    {
        if (Unusable() is { } error)
        {
            throw error;
        }
    }

    private Exception? Unusable() =>
        _fault is { } fault ? new RecordingUnavailableException($"the recording of session {SessionId} failed: {fault.Message}", fault)
        : _completed ? new InvalidOperationException($"the recording of session {SessionId} is already complete")
        : null;
}
