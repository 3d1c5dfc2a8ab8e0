namespace HoopProxy.Core.Recording;

/// <summary>
/// The session cannot be recorded (directory not writable, disk full, store stopped). With fail-closed
/// recording the caller refuses or ends the client's session rather than let it run unrecorded.
/// </summary>
public sealed class RecordingUnavailableException : Exception
{
    public RecordingUnavailableException() { }

    public RecordingUnavailableException(string message) : base(message) { }

    public RecordingUnavailableException(string message, Exception inner) : base(message, inner) { }
}
