using System.Text;

namespace HoopProxy.Core.Audit;

/// <summary>What is wrong with a log; each kind maps to one check in docs/audit-trail.md, "Verification".</summary>
public enum AuditProblemKind
{
    /// <summary>Not a line of ours: not JSON, no hash member, no seq/prev/type.</summary>
    Malformed,

    /// <summary>The file ends inside its last line: a crash during a write, or a truncation.</summary>
    Incomplete,

    /// <summary>The line's bytes do not match its stated hash: edited after it was written.</summary>
    Changed,

    /// <summary>A line's <c>prev</c> is not the hash of the line before it in the chain.</summary>
    ChainBroken,

    /// <summary>Sequence numbers are missing: lines were removed.</summary>
    Removed,

    /// <summary>A line appears after lines that should follow it.</summary>
    Reordered,

    /// <summary>A line repeats a sequence number and is not part of the chain.</summary>
    Inserted,

    /// <summary>An event line lacks one of <see cref="AuditFields.Required"/>.</summary>
    MissingField,

    /// <summary>A checkpoint's signature does not verify.</summary>
    CheckpointSignature,

    /// <summary>A checkpoint is signed by a key the verifier was not told to trust.</summary>
    UntrustedKey,

    /// <summary>A checkpoint names another previous checkpoint than the one before it.</summary>
    CheckpointMismatch,
}

/// <summary>What deserves attention without making the log fail.</summary>
public enum AuditWarningKind
{
    /// <summary>Lines after the last signed checkpoint: protected by the hash chain only until the next checkpoint.</summary>
    NotCheckpointed,

    /// <summary>The proxy restarted after a crash and cut an unfinished line off (its <c>audit-log</c> event says where it went).</summary>
    RecoveredAfterCrash,

    /// <summary>A checkpoint counts events the proxy could not log (a fail-open log).</summary>
    EventsDropped,

    /// <summary>No public key was given, so checkpoint signatures were not checked.</summary>
    SignaturesNotChecked,
}

public sealed record AuditProblem(AuditProblemKind Kind, long Line, string Message)
{
    public override string ToString() => $"line {Line}: {Kind}: {Message}";
}

public sealed record AuditWarning(AuditWarningKind Kind, long? Line, string Message)
{
    public override string ToString() => Line is { } line ? $"line {line}: {Message}" : Message;
}

/// <param name="LastSeq">The chain head's seq (the last line that parsed); null for an empty log.</param>
/// <param name="Head">The chain head's hash: worth keeping elsewhere, since it anchors every line before it.</param>
/// <param name="LastCheckpointLine">The last checkpoint whose signature verified (or, without a key, the last checkpoint).</param>
public sealed record AuditVerificationReport(
    string File,
    IReadOnlyList<AuditProblem> Problems,
    IReadOnlyList<AuditWarning> Warnings,
    long Lines,
    long Events,
    long Checkpoints,
    long? LastSeq,
    string? Head,
    long? LastCheckpointLine)
{
    public bool IsValid => Problems.Count == 0;

    public override string ToString()
    {
        var text = new StringBuilder();
        var counts = $"{Count(Lines, "line")} ({Count(Events, "event")}, {Count(Checkpoints, "checkpoint")})";
        if (IsValid)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"OK: {File}: {counts} verified");
        }
        else
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"FAILED: {File}: {Count(Problems.Count, "problem")} in {counts}:");
            foreach (var problem in Problems)
            {
                text.AppendLine().Append("  ").Append(problem);
            }
        }

        if (LastSeq is { } seq)
        {
            text.AppendLine().Append(System.Globalization.CultureInfo.InvariantCulture, $"chain head: seq {seq}, hash {Head}");
            text.AppendLine().Append(LastCheckpointLine is { } line
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"last signed checkpoint: line {line}")
                : "no signed checkpoint");
        }

        foreach (var warning in Warnings)
        {
            text.AppendLine().Append("warning: ").Append(warning);
        }

        return text.ToString();
    }

    private static string Count(long n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
