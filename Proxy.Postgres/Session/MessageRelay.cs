using System.Buffers;
using System.IO.Pipelines;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Protocol;

namespace HoopProxy.Postgres.Session;

/// <summary>Which bytes of a relay are recorded when an observer replaced a message.</summary>
public enum RecordedBytes
{
    /// <summary>As the source sent them: the client's own messages, even those the proxy replaced before the server saw them.</summary>
    AsReceived,

    /// <summary>As the destination got them: what the client saw, after the proxy's replacements (errors, masking).</summary>
    AsForwarded,
}

/// <summary>Why a relay stopped.</summary>
public enum RelayEnd
{
    /// <summary>The source closed cleanly at a message boundary.</summary>
    SourceClosed,

    /// <summary>The destination stopped accepting bytes.</summary>
    DestinationClosed,

    /// <summary>The observer asked to stop after a message (Terminate, a drain point).</summary>
    ObserverStopped,

    /// <summary><see cref="MessageRelay.Stop"/> was called.</summary>
    Stopped,
}

/// <summary>
/// One direction of a session: copies protocol messages from a source pipe to a destination pipe,
/// tracking message boundaries without copying messages out. A message nobody needs to see is forwarded
/// as soon as any of it arrives, so results larger than the proxy's buffers stream through; only a
/// partial five-byte header, or a wanted message not yet complete, is held back.
/// </summary>
public sealed class MessageRelay
{
    private readonly PipeReader _source;
    private readonly PipeWriter _destination;
    private readonly IMessageObserver _observer;
    private readonly int _maxMessageBytes;
    private readonly long _maxWholeMessageBytes;
    private readonly string _sourceName;
    private long _streamRemaining;

    /// <summary>Bytes still to come of a message being dropped (<see cref="UninspectableAction.Discard"/>).</summary>
    private long _discardRemaining;
    private readonly RelayEdits? _edits;
    private ISessionRecording? _recording;
    private RecordDirection _recordDirection;
    private RecordedBytes _recordedBytes;

    /// <param name="maxWholeMessageBytes">The largest message an observer may ask to see whole: it must fit under the source pipe's pause threshold.</param>
    /// <param name="edits">Where the observer raises events and replaces messages; null when it does neither.</param>
    public MessageRelay(PipeReader source, PipeWriter destination, IMessageObserver observer, int maxMessageBytes, long maxWholeMessageBytes, string sourceName,
        RelayEdits? edits = null)
    {
        _edits = edits;
        _source = source;
        _destination = destination;
        _observer = observer;
        _maxMessageBytes = maxMessageBytes;
        _maxWholeMessageBytes = maxWholeMessageBytes;
        _sourceName = sourceName;
    }

    /// <summary>
    /// Records every byte this relay passes, with the observer's events in place. Set before <see cref="RunAsync"/>.
    /// A recording that cannot keep up slows the relay (backpressure); one that fails ends the session.
    /// </summary>
    /// <param name="recordedBytes">The client's side is what is recorded: what the client sent (as received) and what it got (as forwarded).</param>
    public void RecordTo(ISessionRecording recording, RecordDirection direction, RecordedBytes recordedBytes)
    {
        _recording = recording;
        _recordDirection = direction;
        _recordedBytes = recordedBytes;
    }

    /// <summary>False while a streamed message is half forwarded: nothing may be injected into the destination then.</summary>
    public bool AtMessageBoundary => _streamRemaining == 0;

    /// <summary>Messages seen so far (complete or started).</summary>
    public long MessageCount => Volatile.Read(ref _messageCount);

    // Written only by the relay's own loop; read by other threads (drain decisions, logs).
    private long _messageCount;

    /// <summary>Makes <see cref="RunAsync"/> return <see cref="RelayEnd.Stopped"/> after the batch it is forwarding.</summary>
    public void Stop()
    {
        _stopRequested = true;
        _source.CancelPendingRead();
    }

    /// <summary>
    /// Sends whole messages of the proxy's own to the destination at the next message boundary (a notice while a
    /// statement waits for approval), recorded as the destination sees them. Safe from any thread.
    /// </summary>
    public void Inject(byte[] messages)
    {
        _injections.Enqueue(messages);
        // Wakes the loop if it is waiting for the source; if it is busy it sends them after the current batch.
        _source.CancelPendingRead();
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<byte[]> _injections = new();
    private volatile bool _stopRequested;

    /// <summary>True on the pass that resumes a held message: its start was already counted.</summary>
    private bool _resumingHeld;

    public async Task<RelayEnd> RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _source.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            bool observerStopped;
            long forwarded;
            Task? held = null;
            try
            {
                if (result.IsCanceled)
                {
                    // Nothing was looked at: the next read must return these bytes again at once.
                    examined = buffer.Start;
                    if (_stopRequested)
                    {
                        return RelayEnd.Stopped;
                    }

                    await SendInjectionsAsync();
                    continue;
                }

                forwarded = Scan(buffer, out observerStopped);
                held = _edits?.HeldUntil;
                if (forwarded > 0)
                {
                    var slice = buffer.Slice(0, forwarded);
                    // The recording copies the bytes into its queue before the buffer is released below.
                    if (_edits is null || _edits.IsEmpty)
                    {
                        await PassAsync(slice);
                    }
                    else
                    {
                        await ApplyEditsAsync(slice);
                    }

                    consumed = slice.End;
                }
                else if (_edits is { IsEmpty: false })
                {
                    // Events raised by a held message, recorded before it.
                    await ApplyEditsAsync(buffer.Slice(0, 0));
                }

                if (held is not null)
                {
                    examined = consumed;
                }
                else if (result.IsCompleted && !observerStopped && forwarded < buffer.Length)
                {
                    throw new PostgresProtocolException(SqlState.ProtocolViolation,
                        $"the {_sourceName} closed the connection in the middle of a message");
                }
            }
            finally
            {
                _source.AdvanceTo(consumed, examined);
            }

            if (AtMessageBoundary && !_injections.IsEmpty)
            {
                await SendInjectionsAsync();
            }

            if (held is not null)
            {
                await _destination.FlushAsync(cancellationToken);
                if (await WaitForReleaseAsync(held))
                {
                    return RelayEnd.Stopped;
                }

                _edits!.ReleaseHold();
                _resumingHeld = true;
                continue;
            }

            if (forwarded > 0)
            {
                var flush = await _destination.FlushAsync(cancellationToken);
                if (flush.IsCompleted)
                {
                    return RelayEnd.DestinationClosed;
                }
            }

            if (observerStopped)
            {
                return RelayEnd.ObserverStopped;
            }

            if (result.IsCompleted)
            {
                if (_streamRemaining > 0 || _discardRemaining > 0)
                {
                    throw new PostgresProtocolException(SqlState.ProtocolViolation,
                        $"the {_sourceName} closed the connection in the middle of a message");
                }

                return RelayEnd.SourceClosed;
            }
        }
    }

    /// <summary>The proxy's own messages, at a boundary, recorded as the destination sees them.</summary>
    private async ValueTask SendInjectionsAsync()
    {
        if (!AtMessageBoundary)
        {
            return;
        }

        var any = false;
        while (_injections.TryDequeue(out var messages))
        {
            if (_recording is not null)
            {
                await RecordDataAsync(new ReadOnlySequence<byte>(messages));
            }

            _destination.Write(messages);
            any = true;
        }

        if (any)
        {
            await _destination.FlushAsync();
        }
    }

    /// <summary>
    /// Waits for a held message's release, watching the source meanwhile (it is not being read): if it closes, the
    /// observer hears of it so the wait can end. True when the relay was stopped while waiting.
    /// </summary>
    private async Task<bool> WaitForReleaseAsync(Task release)
    {
        var toldClosed = false;
        while (!release.IsCompleted)
        {
            await Task.WhenAny(release, Task.Delay(TimeSpan.FromMilliseconds(250)));
            if (_stopRequested)
            {
                return true;
            }

            if (!toldClosed && _source.TryRead(out var peek))
            {
                var closed = peek.IsCompleted;
                _source.AdvanceTo(peek.Buffer.Start, peek.Buffer.Start);
                if (closed)
                {
                    toldClosed = true;
                    _edits!.SourceClosedWhileHeld?.Invoke();
                }
            }

            if (!_injections.IsEmpty)
            {
                await SendInjectionsAsync();
            }
        }

        return false;
    }

    /// <summary>Forwards bytes as they are, recording them first.</summary>
    private async ValueTask PassAsync(ReadOnlySequence<byte> bytes)
    {
        if (_recording is not null)
        {
            await RecordDataAsync(bytes);
        }

        foreach (var segment in bytes)
        {
            _destination.Write(segment.Span);
        }
    }

    /// <summary>Forwards a batch with the observer's edits applied in stream order: replacements in place of their messages, events between the bytes.</summary>
    private async ValueTask ApplyEditsAsync(ReadOnlySequence<byte> batch)
    {
        try
        {
            long position = 0;
            foreach (var edit in _edits!.Pending)
            {
                if (edit.Start > position)
                {
                    await PassAsync(batch.Slice(position, edit.Start - position));
                    position = edit.Start;
                }

                if (!edit.IsReplacement)
                {
                    if (_recording is not null)
                    {
                        await RecordEventAsync(edit.Event!);
                    }

                    continue;
                }

                var replacement = _edits.ReplacementBytes(edit);
                if (_recording is not null)
                {
                    await RecordDataAsync(_recordedBytes == RecordedBytes.AsForwarded
                        ? new ReadOnlySequence<byte>(replacement)
                        : batch.Slice(edit.Start, edit.End - edit.Start));
                }

                _destination.Write(replacement.Span);
                position = edit.End;
            }

            if (position < batch.Length)
            {
                await PassAsync(batch.Slice(position));
            }
        }
        finally
        {
            _edits!.Clear();
        }
    }

    private async ValueTask RecordDataAsync(ReadOnlySequence<byte> bytes)
    {
        try
        {
            await _recording!.WriteDataAsync(_recordDirection, bytes);
        }
        catch (RecordingUnavailableException e)
        {
            throw RecordingFailed(e);
        }
    }

    private async ValueTask RecordEventAsync(IRecordedEvent recordedEvent)
    {
        try
        {
            await _recording!.WriteEventAsync(recordedEvent);
        }
        catch (RecordingUnavailableException e)
        {
            throw RecordingFailed(e);
        }
    }

    private static PostgresProtocolException RecordingFailed(RecordingUnavailableException e) =>
        new(SqlState.CannotConnectNow, "session recording failed; the proxy ends sessions it cannot record", e);

    /// <summary>Walks the buffered bytes message by message; returns how many may be forwarded now. Has no effect on the pipes.</summary>
    private long Scan(in ReadOnlySequence<byte> buffer, out bool observerStopped)
    {
        observerStopped = false;
        var length = buffer.Length;
        var skip = Math.Min(_streamRemaining, length);
        _streamRemaining -= skip;
        if (_discardRemaining > 0)
        {
            skip = Math.Min(_discardRemaining, length);
            _discardRemaining -= skip;
            _edits!.ReplaceMessage();
            _edits.Place(0, skip);
        }

        // Each step slices from the current position, never from the start: a read that spans many
        // segments costs one walk over them, not one per message.
        var rest = skip == 0 ? buffer : buffer.Slice(skip);

        while (_streamRemaining == 0 && _discardRemaining == 0 && !rest.IsEmpty)
        {
            if (!MessageHeader.TryRead(rest, out var header))
            {
                break;
            }

            header.Validate(_maxMessageBytes, _sourceName);
            var total = header.TotalLength;
            var available = rest.Length;
            var wanted = _observer.WantsMessage(header.Code);
            if (wanted && total > _maxWholeMessageBytes)
            {
                var action = _observer.OnUninspectable(header.Code, header.BodyLength);
                if (action == UninspectableAction.Fail)
                {
                    throw new PostgresProtocolException(SqlState.ProgramLimitExceeded,
                        $"message '{(char)header.Code}' of {header.Length} bytes from the {_sourceName} is larger than the proxy inspects ({_maxWholeMessageBytes} bytes)");
                }

                if (action == UninspectableAction.Discard)
                {
                    // What has arrived of it is replaced (by the observer's replacement); the rest is dropped as it comes.
                    var start = length - rest.Length;
                    var here = Math.Min(available, total);
                    _messageCount++;
                    _edits!.Place(start, start + here);
                    _discardRemaining = total - here;
                    rest = rest.Slice(here);
                    continue;
                }

                // What the observer noted about it belongs before its bytes: the message streams through in pieces.
                _edits?.Place(length - rest.Length, length - rest.Length);
                wanted = false;
            }

            if (wanted)
            {
                if (available < total || !(_resumingHeld || _observer.OnMessageStart(header.Code)))
                {
                    observerStopped = available >= total;
                    break;
                }

                _resumingHeld = false;
                _messageCount++;
                var start = length - rest.Length;
                var body = rest.Slice(MessageHeader.Size, header.BodyLength);
                var atMessage = rest;
                rest = rest.Slice(total);
                var keepGoing = _observer.OnMessage(header.Code, body);
                if (_edits?.HeldUntil is not null)
                {
                    // Not forwarded yet: the relay waits, then sees this message again.
                    _edits.Place(start, start);
                    _messageCount--;
                    rest = atMessage;
                    break;
                }

                _edits?.Place(start, start + total);
                if (!keepGoing)
                {
                    observerStopped = true;
                    break;
                }
            }
            else if (!_observer.OnMessageStart(header.Code))
            {
                observerStopped = true;
                break;
            }
            else if (available >= total)
            {
                _messageCount++;
                rest = rest.Slice(total);
            }
            else
            {
                // Forward what has arrived of a message nobody inspects; the rest follows as it comes.
                _messageCount++;
                _streamRemaining = total - available;
                rest = rest.Slice(available);
            }
        }

        return length - rest.Length;
    }
}
