using System.Text.Json.Nodes;
using System.Threading.Channels;
using HoopProxy.Core.Recording;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Audit;

/// <summary>
/// The append-only audit trail: sessions hand events to <see cref="WriteAsync"/>, which serializes them on the caller's
/// thread and queues them; one writer thread chains, hashes and appends them, flushes after every batch, and signs a
/// checkpoint every <see cref="AuditOptions.CheckpointInterval"/> or <see cref="AuditOptions.CheckpointEvents"/> lines
/// and at shutdown. A caller never waits on the disk, and never longer than <see cref="AuditOptions.WriteTimeout"/>
/// for room in the queue. Format and decisions: docs/audit-trail.md.
/// </summary>
public sealed partial class AuditLog : IAsyncDisposable
{
    private readonly AuditOptions _options;
    private readonly RecordingSigningKey _key;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AuditFile? _file;
    private readonly Channel<QueueItem> _queue;
    private readonly CancellationTokenSource _stopTicker = new();
    private readonly Task _loop;
    private readonly Task _ticker;
    private long _dropped;
    private int _dropWarned;
    private int _disposed;
    private volatile Exception? _failure;

    private AuditLog(AuditOptions options, RecordingSigningKey key, ILogger logger, TimeProvider time, string proxyHost, AuditFile? file, Exception? failure)
    {
        _options = options;
        _key = key;
        _logger = logger;
        _time = time;
        ProxyHost = proxyHost;
        _file = file;
        _failure = failure;
        _queue = Channel.CreateBounded<QueueItem>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
        if (file is null)
        {
            _queue.Writer.TryComplete();
            _loop = Task.CompletedTask;
            _ticker = Task.CompletedTask;
            return;
        }

        _loop = StartWriterThread(file);
        _ticker = Task.Run(TickAsync);
    }

    public AuditOptions Options => _options;

    /// <summary>Test hook: runs on the writer thread before each batch reaches the file, to stand in for a failing or hung disk.</summary>
    internal Action? BeforeEachFlush { get; set; }

    /// <summary>The host name written as <c>proxy_host</c> when an event's origin does not name one.</summary>
    public string ProxyHost { get; }

    /// <summary>The public key verifiers must trust for this log's checkpoints.</summary>
    public byte[] PublicKey => _key.PublicKey;

    /// <summary>What opening found at the end of an existing log (a torn line cut off, lines a crash left unsigned).</summary>
    public AuditTail? Tail => _file?.Tail;

    /// <summary>Why nothing more can be logged (the file failed, or could not be opened with <c>FailClosed</c> off); null while healthy.</summary>
    public Exception? Failure => _failure;

    /// <summary>Events not logged since the process started (only ever above 0 with <c>FailClosed</c> off, or when the writer failed).</summary>
    public long DroppedEvents => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Opens (or creates) the log, takes its lock, cuts a torn last line off (keeping it beside the log), checks the lines
    /// since the last checkpoint and continues the chain from the last line; then logs an <c>audit-log</c> "started" event.
    /// A bad signing key always throws (a configuration error). A file that cannot be used throws
    /// <see cref="AuditUnavailableException"/> when <c>FailClosed</c>; otherwise the log drops every event and says so.
    /// </summary>
    public static async Task<AuditLog> OpenAsync(AuditOptions options, ILogger logger, TimeProvider? time = null, string? proxyHost = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = RecordingSigningKey.Load(options.SigningKeyFile);
        time ??= TimeProvider.System;
        proxyHost ??= Environment.MachineName;
        AuditFile file;
        try
        {
            file = await Task.Run(() => AuditFile.Open(options.File));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AuditUnavailableException)
        {
            var problem = e as AuditUnavailableException ?? new AuditUnavailableException($"the audit log '{options.File}' cannot be used: {e.Message}", e);
            if (options.FailClosed)
            {
                throw problem;
            }

            LogUnavailableAtOpen(logger, options.File, problem.Message);
            return new AuditLog(options, key, logger, time, proxyHost, file: null, problem);
        }

        if (file.Tail.Torn is { } torn)
        {
            LogTornTail(logger, options.File, torn.Bytes, torn.Offset, torn.SavedAs);
        }

        LogOpened(logger, options.File, file.NextSeq, file.Head, key.KeyId);
        var log = new AuditLog(options, key, logger, time, proxyHost, file, failure: null);
        await log.WriteAsync(log.LifecycleEvent("started", StartedDetails(file.Tail)));
        return log;
    }

    /// <summary>
    /// Hands an event to the log. It is serialized now (so the caller may reuse what it passed) and queued; it returns
    /// at once unless the queue is full, then waits at most <see cref="AuditOptions.WriteTimeout"/>. When the event
    /// cannot be logged — the writer failed, the queue stayed full, the log is closed — a fail-closed log throws
    /// <see cref="AuditUnavailableException"/> and the caller must refuse the action or end the session; a fail-open
    /// log counts the event as dropped. A write error found by the writer is reported from the next call.
    /// </summary>
    /// <exception cref="ArgumentException">The event is larger than an audit line may be.</exception>
    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        if (_failure is { } failure)
        {
            return Unavailable($"the audit log failed: {failure.Message}", failure);
        }

        var item = QueueItem.Event(AuditEventSerializer.Members(auditEvent, auditEvent.Time ?? _time.GetUtcNow(), ProxyHost));
        return _queue.Writer.TryWrite(item) ? ValueTask.CompletedTask : WaitForRoomAsync(item, cancellationToken);
    }

    /// <summary>Waits until every event queued before it is in the file (handed to the operating system).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => ControlAsync(QueueItem.Flush(), cancellationToken);

    /// <summary>Writes a signed checkpoint now, if anything was logged since the last one, and waits until it is on disk.</summary>
    public Task CheckpointAsync(CancellationToken cancellationToken = default) => ControlAsync(QueueItem.Checkpoint(), cancellationToken);

    /// <summary>Logs the <c>audit-log</c> "stopped" event, writes everything queued, a last checkpoint, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_failure is null && _file is not null)
        {
            try
            {
                await WriteAsync(LifecycleEvent("stopped", new JsonObject { ["dropped_events"] = DroppedEvents }));
            }
            catch (AuditUnavailableException)
            {
                // The writer failed meanwhile; it has said so in the process log.
            }
        }

        _queue.Writer.TryComplete();
        await _loop;
        await _stopTicker.CancelAsync();
        await _ticker;
        _stopTicker.Dispose();
        _file?.Dispose();
        if (_file is not null)
        {
            LogClosed(_logger, _options.File, _file.NextSeq - 1, _file.Head);
        }
    }

    private AuditEvent LifecycleEvent(string action, JsonObject details) => new(AuditEventType.AuditLog, AuditOutcome.Success)
    {
        Origin = new AuditOrigin(null, null, ProxyHost),
        Action = action,
        Details = details,
    };

    private static JsonObject StartedDetails(AuditTail tail)
    {
        var details = new JsonObject
        {
            ["continued_from_seq"] = tail.LastSeq == 0 ? null : tail.LastSeq,
            ["not_checkpointed"] = tail.NotCheckpointed,
        };
        if (tail.Torn is { } torn)
        {
            details["torn_line"] = new JsonObject { ["offset"] = torn.Offset, ["bytes"] = torn.Bytes, ["saved_as"] = Path.GetFileName(torn.SavedAs) };
        }

        return details;
    }

    private async ValueTask WaitForRoomAsync(QueueItem item, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.WriteTimeout);
        try
        {
            await _queue.Writer.WriteAsync(item, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Unavailable($"the audit log's queue stayed full for {_options.WriteTimeout}", null);
        }
        catch (ChannelClosedException e)
        {
            await Unavailable(_failure is { } failure ? $"the audit log failed: {failure.Message}" : "the audit log is closed", e);
        }
    }

    private ValueTask Unavailable(string reason, Exception? cause)
    {
        Interlocked.Increment(ref _dropped);
        if (_options.FailClosed)
        {
            return ValueTask.FromException(cause is null ? new AuditUnavailableException(reason) : new AuditUnavailableException(reason, cause));
        }

        if (Interlocked.Exchange(ref _dropWarned, 1) == 0)
        {
            LogDropping(_logger, reason);
        }

        return ValueTask.CompletedTask;
    }

    private async Task ControlAsync(QueueItem item, CancellationToken cancellationToken)
    {
        if (_failure is { } failure)
        {
            throw new AuditUnavailableException($"the audit log failed: {failure.Message}", failure);
        }

        try
        {
            await _queue.Writer.WriteAsync(item, cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new AuditUnavailableException("the audit log is closed", e);
        }

        await item.Done!.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The writer has a thread of its own, as the recording writer does: file writes block, and a hung disk must hold
    /// this thread, not one of the pool's.
    /// </summary>
    private Task StartWriterThread(AuditFile file)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(file);
            }
            finally
            {
                finished.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "hoopproxy audit writer",
        };
        thread.Start();
        return finished.Task;
    }

    private void Run(AuditFile file)
    {
        var waiting = new List<TaskCompletionSource>();
        try
        {
            var reader = _queue.Reader;
            while (WaitToRead(reader))
            {
                var checkpointDue = false;
                while (reader.TryRead(out var item))
                {
                    switch (item.Kind)
                    {
                        case QueueItemKind.Event:
                            file.AppendEvent(item.Members!);
                            if (file.LinesSinceCheckpoint >= _options.CheckpointEvents)
                            {
                                Checkpoint(file);
                            }

                            break;
                        case QueueItemKind.Checkpoint or QueueItemKind.Tick:
                            checkpointDue = true;
                            break;
                    }

                    if (item.Done is { } done)
                    {
                        waiting.Add(done);
                    }
                }

                if (checkpointDue && file.LinesSinceCheckpoint > 0)
                {
                    Checkpoint(file);
                }

                BeforeEachFlush?.Invoke();
                file.Flush(toDisk: false);
                waiting.ForEach(w => w.TrySetResult());
                waiting.Clear();
            }

            if (file.LinesSinceCheckpoint > 0)
            {
                Checkpoint(file);
            }

            file.Flush(toDisk: true);
        }
        catch (Exception e)
        {
            Interlocked.Add(ref _dropped, file.BufferedEvents);
            _failure = e;
            LogWriterFailed(_logger, e, _options.File);
            // Nobody reads the queue any more: writers must learn it (AuditUnavailableException), not wait for room.
            _queue.Writer.TryComplete(e);
            var lost = new AuditUnavailableException($"the audit log failed: {e.Message}", e);
            waiting.ForEach(w => w.TrySetException(lost));
            while (_queue.Reader.TryRead(out var item))
            {
                if (item.Kind == QueueItemKind.Event)
                {
                    Interlocked.Increment(ref _dropped);
                }

                item.Done?.TrySetException(lost);
            }
        }
    }

    private static bool WaitToRead(ChannelReader<QueueItem> reader)
    {
        var more = reader.WaitToReadAsync();
        return more.IsCompletedSuccessfully ? more.Result : more.AsTask().GetAwaiter().GetResult();
    }

    private void Checkpoint(AuditFile file)
    {
        file.AppendCheckpoint(_key, _time.GetUtcNow(), ProxyHost, DroppedEvents);
        LogCheckpoint(_logger, file.NextSeq - 1, file.Head);
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(_options.CheckpointInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopTicker.Token))
            {
                // A full queue means a busy writer, which counts lines towards CheckpointEvents anyway.
                _queue.Writer.TryWrite(QueueItem.Tick);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private enum QueueItemKind
    {
        Event,
        Flush,
        Checkpoint,
        Tick,
    }

    /// <param name="Members">An event's serialized members.</param>
    /// <param name="Done">Completed when a flush or checkpoint has been carried out.</param>
    private sealed record QueueItem(QueueItemKind Kind, byte[]? Members, TaskCompletionSource? Done)
    {
        public static readonly QueueItem Tick = new(QueueItemKind.Tick, null, null);

        public static QueueItem Event(byte[] members) => new(QueueItemKind.Event, members, null);

        public static QueueItem Flush() => new(QueueItemKind.Flush, null, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public static QueueItem Checkpoint() => new(QueueItemKind.Checkpoint, null, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Audit log {File} opened: next seq {NextSeq}, chain head {Head}, checkpoints signed by key {KeyId}")]
    private static partial void LogOpened(ILogger logger, string file, long nextSeq, string head, string keyId);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Audit log {File} ended inside a line (a crash during a write): {Bytes} bytes at offset {Offset} moved to {SavedAs}")]
    private static partial void LogTornTail(ILogger logger, string file, long bytes, long offset, string savedAs);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Audit checkpoint signed at seq {Seq}: chain head {Head}")]
    private static partial void LogCheckpoint(ILogger logger, long seq, string head);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Critical, Message = "The audit log writer stopped writing {File}; no further event can be logged")]
    private static partial void LogWriterFailed(ILogger logger, Exception exception, string file);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Error, Message = "Audit events are not being logged ({Reason}); the log fails open, so sessions go on unaudited")]
    private static partial void LogDropping(ILogger logger, string reason);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Error, Message = "Audit log {File} cannot be used: {Problem}; the log fails open, so sessions go on unaudited")]
    private static partial void LogUnavailableAtOpen(ILogger logger, string file, string problem);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Information, Message = "Audit log {File} closed at seq {Seq}: chain head {Head}")]
    private static partial void LogClosed(ILogger logger, string file, long seq, string head);
}
