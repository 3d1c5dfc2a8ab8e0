using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Recording;

/// <summary>
/// The one task that touches session files after they are created: drains the bounded queue, encodes and
/// hashes records into each session's buffer, flushes every <see cref="RecordingOptions.FlushInterval"/>,
/// and seals and indexes completed sessions. A failure costs the session it happened in, never the others.
/// </summary>
internal sealed partial class RecordingWriter : IAsyncDisposable
{
    private readonly Channel<RecordItem> _queue;
    private readonly RecordingIndex _index;
    private readonly RecordingSigningKey _key;
    private readonly ILogger _logger;
    private readonly TimeSpan _flushInterval;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly PayloadCompressor? _compressor;
    private readonly List<SessionRecorder> _dirty = [];
    private readonly Action<SessionRecorder> _closed;
    private readonly CancellationTokenSource _stopTicker = new();
    private readonly Task _loop;
    private readonly Task _ticker;
    private static readonly TimeSpan CoalescingDelay = TimeSpan.FromMilliseconds(1);
    private long _lastFlush = Stopwatch.GetTimestamp();
    private volatile bool _abandoned;

    public RecordingWriter(RecordingOptions options, RecordingIndex index, RecordingSigningKey key, Action<SessionRecorder> closed, ILogger logger)
    {
        _queue = Channel.CreateBounded<RecordItem>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        _index = index;
        _key = key;
        _closed = closed;
        _logger = logger;
        _flushInterval = options.FlushInterval;
        _compressor = options.Compression == RecordingCompression.Zstd ? new PayloadCompressor() : null;
        _loop = StartWriterThread();
        _ticker = Task.Run(TickAsync);
    }

    /// <summary>Test hook: awaited before each record is written, to stand in for a slow disk.</summary>
    internal Func<ValueTask>? BeforeEachRecord { get; set; }

    /// <summary>Set when the writer task itself failed; new sessions are refused.</summary>
    public Exception? Fatal { get; private set; }

    public bool TryEnqueue(RecordItem item) => _queue.Writer.TryWrite(item);

    /// <summary>Waits for room in the queue; on failure the item's pooled buffer goes back to the pool.</summary>
    public async ValueTask EnqueueAsync(RecordItem item, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken);
        }
        catch (Exception e)
        {
            Release(item);
            if (e is ChannelClosedException)
            {
                throw new RecordingUnavailableException("the recording store is closed", e);
            }

            throw;
        }
    }

    /// <summary>
    /// The writer runs on a thread of its own rather than the thread pool: pool workers woken for a moment of work
    /// spin and yield before they sleep, which on a busy machine costs the relays more than writing the records.
    /// </summary>
    private Task StartWriterThread()
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run();
            }
            finally
            {
                // Whatever happened, disposal must not wait for a thread that is gone.
                finished.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "hoopproxy recording writer",
        };
        thread.Start();
        return finished.Task;
    }

    private void Run()
    {
        try
        {
            var reader = _queue.Reader;
            while (true)
            {
                if (Drain(reader) > 0)
                {
                    // Records gather for a moment so one pass serves hundreds; the queue holds far more than a
                    // millisecond of traffic, and durability is counted in FlushInterval, not in this pause.
                    Thread.Sleep(CoalescingDelay);
                    continue;
                }

                var more = reader.WaitToReadAsync();
                if (!(more.IsCompletedSuccessfully ? more.Result : more.AsTask().GetAwaiter().GetResult()))
                {
                    break;
                }
            }

            FlushDirty();
        }
        catch (Exception e)
        {
            Fatal = e;
            LogWriterFailed(_logger, e);
            // Nobody reads the queue any more: writers must fail (RecordingUnavailableException), not wait forever.
            _queue.Writer.TryComplete(e);
            while (_queue.Reader.TryRead(out var item))
            {
                Release(item);
                item.Done?.TrySetException(new RecordingUnavailableException("the recording writer stopped", e));
            }
        }
    }

    /// <summary>Writes everything queued now; returns how many items it took.</summary>
    private int Drain(ChannelReader<RecordItem> reader)
    {
        var count = 0;
        while (reader.TryRead(out var item))
        {
            count++;
            if (_abandoned)
            {
                Release(item);
                continue;
            }

            var processing = ProcessAsync(item);
            if (!processing.IsCompletedSuccessfully)
            {
                // Only the slow-disk test hook makes processing asynchronous; this thread may block for it.
                processing.AsTask().GetAwaiter().GetResult();
            }

            if (Stopwatch.GetElapsedTime(_lastFlush) >= _flushInterval)
            {
                FlushDirty();
            }
        }

        return count;
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(_flushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopTicker.Token))
            {
                // A full queue means the writer is busy and checks the flush time after every record anyway.
                _queue.Writer.TryWrite(RecordItem.Tick);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async ValueTask ProcessAsync(RecordItem item)
    {
        var session = item.Session;
        if (session is null)
        {
            return;
        }

        try
        {
            if (session.IsFaulted || session.File.IsClosed)
            {
                item.Done?.TrySetException(new RecordingUnavailableException($"the recording of session {session.SessionId} failed earlier"));
                return;
            }

            switch (item.Kind)
            {
                case RecordItemKind.Data or RecordItemKind.Event:
                    if (BeforeEachRecord is { } hook)
                    {
                        await hook();
                    }

                    var plain = item.Buffer.AsSpan(0, item.Length);
                    byte flags = 0;
                    var stored = _compressor is null ? plain : _compressor.Encode(plain, ref session.Compression, out flags);
                    var type = item.Kind == RecordItemKind.Data ? RecordType.Data : RecordType.Event;
                    session.File.Append(_sha256, type, flags, (byte)item.Direction, item.ElapsedTicks, stored, item.Length);
                    MarkDirty(session);
                    break;

                case RecordItemKind.Flush:
                    session.File.Flush(toDisk: false);
                    item.Done?.TrySetResult();
                    break;

                case RecordItemKind.Complete:
                    Seal(session, item.Text ?? "", item.ElapsedTicks);
                    item.Done?.TrySetResult();
                    break;
            }
        }
        catch (Exception e)
        {
            FailSession(session, e);
            item.Done?.TrySetException(new RecordingUnavailableException($"the recording of session {session.SessionId} failed: {e.Message}", e));
        }
        finally
        {
            Release(item);
        }
    }

    private void Seal(SessionRecorder session, string endReason, long elapsedTicks)
    {
        var file = session.File;
        var (sealHash, length, seal) = file.Seal(_sha256, _key, session.SessionId, endReason, elapsedTicks, recovery: null);
        _dirty.Remove(session);
        _closed(session);
        var head = _index.Append(session.SessionId, Path.GetFileName(file.Path), seal.RecordCount + 1, length, sealHash, seal, session.Metadata);
        LogSealed(_logger, session.SessionId, seal.RecordCount + 1, length, head);
    }

    private void MarkDirty(SessionRecorder session)
    {
        if (!session.InDirtyList)
        {
            session.InDirtyList = true;
            _dirty.Add(session);
        }
    }

    private void FlushDirty()
    {
        foreach (var session in _dirty)
        {
            session.InDirtyList = false;
            try
            {
                session.File.Flush(toDisk: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                FailSession(session, e);
            }
        }

        _dirty.Clear();
        _lastFlush = Stopwatch.GetTimestamp();
    }

    private void FailSession(SessionRecorder session, Exception e)
    {
        // The message names the session and the file, never what was being recorded.
        LogSessionFailed(_logger, e, session.SessionId, session.File.Path);
        session.Fail(e);
        try
        {
            session.File.Abandon();
        }
        catch (Exception closing) when (closing is IOException or UnauthorizedAccessException)
        {
        }

        _closed(session);
    }

    private static void Release(RecordItem item)
    {
        if (item.Buffer is { } buffer)
        {
            RecordBuffers.Pool.Return(buffer);
        }
    }

    /// <summary>Lets every queued record be written, flushes, and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await _stopTicker.CancelAsync();
        await _ticker;
        Dispose();
    }

    /// <summary>Test support for a crash: stops at once, discarding queued and unflushed records, and leaves files unsealed.</summary>
    internal async ValueTask AbandonAsync(IEnumerable<SessionRecorder> open)
    {
        _abandoned = true;
        _queue.Writer.TryComplete();
        await _loop;
        await _stopTicker.CancelAsync();
        await _ticker;
        foreach (var session in open)
        {
            session.File.Abandon();
        }

        Dispose();
    }

    private void Dispose()
    {
        _sha256.Dispose();
        _compressor?.Dispose();
        _stopTicker.Dispose();
    }

    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "Recording of session {Session} sealed: {Records} records, {Bytes} bytes; index head {IndexHead}")]
    private static partial void LogSealed(ILogger logger, string session, long records, long bytes, string indexHead);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Error, Message = "Recording of session {Session} failed writing {File}; the session can no longer be recorded")]
    private static partial void LogSessionFailed(ILogger logger, Exception exception, string session, string file);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Critical, Message = "The recording writer stopped; no new session can be recorded")]
    private static partial void LogWriterFailed(ILogger logger, Exception exception);
}
