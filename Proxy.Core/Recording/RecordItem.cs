using System.Buffers;

namespace HoopProxy.Core.Recording;

/// <summary>
/// The pool for queued record bytes. Not <c>ArrayPool.Shared</c>: its per-thread caches keep the arrays the
/// writer task returns away from the relay threads that rent them, so writes kept allocating new arrays
/// (measured by the allocation test in RecordingBackpressureTests).
/// </summary>
internal static class RecordBuffers
{
    public static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(RecordingFormat.MaxDataChunkBytes, maxArraysPerBucket: 256);
}

internal enum RecordItemKind : byte
{
    Data,
    Event,
    Flush,
    Complete,
    Tick,
}

/// <summary>
/// One unit of work for the writer task. A struct, so queueing allocates nothing; data and event bytes live in
/// a buffer rented from the shared pool, returned by the writer once the record is in the session's file buffer.
/// </summary>
internal readonly record struct RecordItem(
    SessionRecorder? Session,
    RecordItemKind Kind,
    RecordDirection Direction,
    long ElapsedTicks,
    byte[]? Buffer,
    int Length,
    string? Text,
    TaskCompletionSource? Done)
{
    public static RecordItem Tick => new(null, RecordItemKind.Tick, 0, 0, null, 0, null, null);
}
