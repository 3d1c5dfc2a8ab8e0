using System.Buffers;
using System.Text.Json.Nodes;

namespace HoopProxy.Core.Recording;

/// <summary>Stands in for a recording when recording is unavailable and <see cref="RecordingOptions.FailClosed"/> is off.</summary>
public sealed class NoopSessionRecording(string sessionId) : ISessionRecording
{
    public string SessionId { get; } = sessionId;

    public ValueTask WriteDataAsync(RecordDirection direction, ReadOnlySequence<byte> bytes, CancellationToken cancellationToken = default) => default;

    public ValueTask WriteEventAsync(string type, JsonObject fields, CancellationToken cancellationToken = default) => default;

    public ValueTask WriteEventAsync(IRecordedEvent recordedEvent, CancellationToken cancellationToken = default) => default;

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => default;

    public ValueTask CompleteAsync(string endReason) => default;

    public ValueTask DisposeAsync() => default;
}
