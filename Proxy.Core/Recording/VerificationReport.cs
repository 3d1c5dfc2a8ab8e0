namespace HoopProxy.Core.Recording;

/// <summary>What the verifier found wrong; each kind maps to one check in docs/recording-format.md.</summary>
public enum ProblemKind
{
    FileHeader,
    Truncated,
    Malformed,
    HashMismatch,
    SequenceMismatch,
    TimeRegression,
    StartRecord,
    RecordOrder,
    PayloadUnreadable,
    NotSealed,
    SealMismatch,
    SignatureInvalid,
    UntrustedKey,
    AfterSeal,
    IndexLine,
    IndexChain,
    IndexSignature,
    IndexMismatch,
    IndexFileMissing,
    NotInIndex,
    DuplicateIndexEntry,
}

/// <summary>One problem: the file, the record number (or index line number) and the byte offset where it is.</summary>
public sealed record VerificationProblem(ProblemKind Kind, string File, long? Record, long? Offset, string Message)
{
    public override string ToString() =>
        $"{File}{(Record is { } r ? $" record {r}" : "")}{(Offset is { } o ? $" @{o}" : "")}: {Kind}: {Message}";
}

/// <param name="ActiveSkipped">Sessions being recorded at the time, not checked (their files are still growing).</param>
public sealed record VerificationReport(
    IReadOnlyList<VerificationProblem> Problems,
    int SessionsChecked,
    long RecordsChecked,
    IReadOnlyList<string> ActiveSkipped)
{
    public bool IsValid => Problems.Count == 0;

    public override string ToString() =>
        IsValid
            ? $"OK: {SessionsChecked} sessions, {RecordsChecked} records verified"
            : $"{Problems.Count} problems in {SessionsChecked} sessions:{Environment.NewLine}{string.Join(Environment.NewLine, Problems)}";
}
