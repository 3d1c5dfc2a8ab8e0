using System.Buffers;
using System.Text.Json.Nodes;

namespace HoopProxy.Core.Recording;

/// <summary>
/// The recording of one session. Writes copy the bytes into the store's bounded queue and return; they
/// wait only when the queue is full (backpressure), never for the disk. Safe to call from the two relay
/// directions at once: records are ordered by the time each call was made.
/// </summary>
public interface ISessionRecording : IAsyncDisposable
{
    string SessionId { get; }

    /// <summary>
    /// Records bytes as the client saw them (after masking). The bytes are copied before the returned task
    /// completes; it completes synchronously unless the queue is full, so <paramref name="bytes"/> (e.g. a pipe's
    /// buffer) must stay valid until then — await before <c>AdvanceTo</c>.
    /// </summary>
    ValueTask WriteDataAsync(RecordDirection direction, ReadOnlySequence<byte> bytes, CancellationToken cancellationToken = default);

    /// <summary>Records an event such as "auth", "statement", "outcome", "disconnect"; <paramref name="fields"/> is serialized before returning.</summary>
    ValueTask WriteEventAsync(string type, JsonObject fields, CancellationToken cancellationToken = default);

    /// <summary>Records an event that writes its own fields; it is serialized before returning.</summary>
    ValueTask WriteEventAsync(IRecordedEvent recordedEvent, CancellationToken cancellationToken = default);

    /// <summary>Writes everything queued to the operating system and returns once it is there.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes the end record, seals and signs the file and appends it to the index. Idempotent.</summary>
    ValueTask CompleteAsync(string endReason);
}
