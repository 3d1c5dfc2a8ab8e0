using System.Buffers;
using System.IO.Pipelines;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Protocol;

namespace HoopProxy.Postgres.Session;

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
    private ISessionRecording? _recording;
    private RecordDirection _recordDirection;
    private RelayEvents? _events;

    /// <param name="maxWholeMessageBytes">The largest message an observer may ask to see whole: it must fit under the source pipe's pause threshold.</param>
    public MessageRelay(PipeReader source, PipeWriter destination, IMessageObserver observer, int maxMessageBytes, long maxWholeMessageBytes, string sourceName)
    {
        _source = source;
        _destination = destination;
        _observer = observer;
        _maxMessageBytes = maxMessageBytes;
        _maxWholeMessageBytes = maxWholeMessageBytes;
        _sourceName = sourceName;
    }

    /// <summary>
    /// Records every byte this relay forwards, as the destination receives it. Set before <see cref="RunAsync"/>.
    /// A recording that cannot keep up slows the relay (backpressure); one that fails ends the session.
    /// <paramref name="events"/>, when given, is where the observer raises events; each is recorded right after
    /// the bytes of the message that raised it.
    /// </summary>
    public void RecordTo(ISessionRecording recording, RecordDirection direction, RelayEvents? events = null)
    {
        _recording = recording;
        _recordDirection = direction;
        _events = events;
    }

    /// <summary>False while a streamed message is half forwarded: nothing may be injected into the destination then.</summary>
    public bool AtMessageBoundary => _streamRemaining == 0;

    /// <summary>Messages seen so far (complete or started).</summary>
    public long MessageCount => Volatile.Read(ref _messageCount);

    // Written only by the relay's own loop; read by other threads (drain decisions, logs).
    private long _messageCount;

    /// <summary>Makes <see cref="RunAsync"/> return <see cref="RelayEnd.Stopped"/> after the batch it is forwarding.</summary>
    public void Stop() => _source.CancelPendingRead();

    public async Task<RelayEnd> RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _source.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            bool observerStopped;
            long forwarded;
            try
            {
                if (result.IsCanceled)
                {
                    return RelayEnd.Stopped;
                }

                forwarded = Scan(buffer, out observerStopped);
                if (forwarded > 0)
                {
                    var slice = buffer.Slice(0, forwarded);
                    if (_recording is not null)
                    {
                        // Copied into the recording's queue before the buffer is released below.
                        await RecordAsync(slice);
                    }
                    else
                    {
                        _events?.Clear();
                    }

                    foreach (var segment in slice)
                    {
                        _destination.Write(segment.Span);
                    }

                    consumed = slice.End;
                }

                if (result.IsCompleted && !observerStopped && forwarded < buffer.Length)
                {
                    throw new PostgresProtocolException(SqlState.ProtocolViolation,
                        $"the {_sourceName} closed the connection in the middle of a message");
                }
            }
            finally
            {
                _source.AdvanceTo(consumed, buffer.End);
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
                if (_streamRemaining > 0)
                {
                    throw new PostgresProtocolException(SqlState.ProtocolViolation,
                        $"the {_sourceName} closed the connection in the middle of a message");
                }

                return RelayEnd.SourceClosed;
            }
        }
    }

    /// <summary>Records the forwarded bytes, with the events the observer raised placed between them where they belong.</summary>
    private async ValueTask RecordAsync(ReadOnlySequence<byte> bytes)
    {
        try
        {
            if (_events is null || _events.IsEmpty)
            {
                await _recording!.WriteDataAsync(_recordDirection, bytes);
                return;
            }

            long written = 0;
            foreach (var (offset, recordedEvent) in _events.Pending)
            {
                if (offset > written)
                {
                    await _recording!.WriteDataAsync(_recordDirection, bytes.Slice(written, offset - written));
                    written = offset;
                }

                await _recording!.WriteEventAsync(recordedEvent);
            }

            if (written < bytes.Length)
            {
                await _recording!.WriteDataAsync(_recordDirection, bytes.Slice(written));
            }
        }
        catch (RecordingUnavailableException e)
        {
            throw new PostgresProtocolException(SqlState.CannotConnectNow, "session recording failed; the proxy ends sessions it cannot record", e);
        }
        finally
        {
            _events?.Clear();
        }
    }

    /// <summary>Walks the buffered bytes message by message; returns how many may be forwarded now. Has no effect on the pipes.</summary>
    private long Scan(in ReadOnlySequence<byte> buffer, out bool observerStopped)
    {
        observerStopped = false;
        var length = buffer.Length;
        var skip = Math.Min(_streamRemaining, length);
        _streamRemaining -= skip;
        // Each step slices from the current position, never from the start: a read that spans many
        // segments costs one walk over them, not one per message.
        var rest = skip == 0 ? buffer : buffer.Slice(skip);

        while (_streamRemaining == 0 && !rest.IsEmpty)
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
                if (!_observer.OnUninspectable(header.Code, header.BodyLength))
                {
                    throw new PostgresProtocolException(SqlState.ProgramLimitExceeded,
                        $"message '{(char)header.Code}' of {header.Length} bytes from the {_sourceName} is larger than the proxy inspects ({_maxWholeMessageBytes} bytes)");
                }

                // What the observer noted about it belongs before its bytes: the message streams through in pieces.
                _events?.PlaceAt(length - rest.Length);
                wanted = false;
            }

            if (wanted)
            {
                if (available < total || !_observer.OnMessageStart(header.Code))
                {
                    observerStopped = available >= total;
                    break;
                }

                _messageCount++;
                var body = rest.Slice(MessageHeader.Size, header.BodyLength);
                rest = rest.Slice(total);
                var keepGoing = _observer.OnMessage(header.Code, body);
                _events?.PlaceAt(length - rest.Length);
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
