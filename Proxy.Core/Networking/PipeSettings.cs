using System.IO.Pipelines;

namespace HoopProxy.Core.Networking;

/// <summary>Buffering limits for one direction of a connection.</summary>
public sealed record PipeSettings
{
    /// <summary>A writer waits when this many bytes are buffered and not yet consumed.</summary>
    public long PauseThreshold { get; init; } = 1024 * 1024;

    /// <summary>A paused writer resumes when the buffered bytes fall to this.</summary>
    public long ResumeThreshold { get; init; } = 512 * 1024;

    public int MinimumReceiveBuffer { get; init; } = 16 * 1024;

    /// <summary>Kestrel's habit: an idle connection waits with a zero-byte read and holds no buffer.</summary>
    public bool WaitForDataBeforeAllocating { get; init; } = true;

    /// <summary>How long a closing connection may take to send what is still queued.</summary>
    public TimeSpan DrainOnCloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public static PipeSettings Default { get; } = new();

    public PipeOptions ToPipeOptions() => new(
        pool: null,
        // Inline scheduling keeps a request on one thread from socket to socket: the relay code is ours
        // and never blocks, so the usual reason for dispatching (user code) does not apply.
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: PauseThreshold,
        resumeWriterThreshold: ResumeThreshold,
        minimumSegmentSize: 4096,
        useSynchronizationContext: false);
}
