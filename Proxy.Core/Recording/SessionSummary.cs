namespace HoopProxy.Core.Recording;

/// <summary>Where a session file stands.</summary>
public enum SessionState
{
    /// <summary>Sealed and listed in the index.</summary>
    Sealed,

    /// <summary>Being recorded by this store right now.</summary>
    Active,

    /// <summary>Neither sealed in the index nor active: recovery could not seal it (see the verifier's report).</summary>
    Unsealed,
}

/// <summary>One line of <c>hoopproxy sessions list</c>.</summary>
/// <param name="RecordCount">Records in the file including the seal; null while the session is active or when unknown.</param>
/// <param name="FileBytes">Size of the session file on disk.</param>
public sealed record SessionSummary(
    string SessionId,
    SessionState State,
    string? Protocol,
    string? Target,
    string? Identity,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? EndReason,
    long? RecordCount,
    long FileBytes,
    long? ClientBytes,
    long? ServerBytes);

/// <summary>What startup recovery did with a session file that was not in the index.</summary>
public enum RecoveryAction
{
    /// <summary>Unsealed (the process ended mid-session): sealed with end reason "interrupted" and indexed.</summary>
    SealedAsInterrupted,

    /// <summary>Already sealed, but the index line was never written: indexed.</summary>
    Indexed,

    /// <summary>Not sealed because the file is damaged in a way a crash does not explain; the verifier reports it.</summary>
    LeftUnsealed,
}

/// <param name="TruncatedBytes">Bytes of a torn last record cut off before sealing (kept in <c>PreservedTornBytesFile</c>).</param>
public sealed record RecoveredSession(
    string SessionId,
    string File,
    RecoveryAction Action,
    long Records,
    long TruncatedBytes,
    long TruncatedAt,
    string? PreservedTornBytesFile,
    string? Problem);
