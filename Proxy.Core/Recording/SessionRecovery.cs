using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Recording;

/// <summary>
/// Runs when the store opens, before any session starts: every session file the index does not list was left
/// by a process that stopped without sealing it (or between sealing and indexing). A torn last record - the
/// only damage an interrupted append produces - is cut off (its bytes kept beside the file) and the cut is
/// stated in the signed seal; any other damage is left for the verifier to report rather than sealed over.
/// </summary>
internal static partial class SessionRecovery
{
    public static List<RecoveredSession> Run(string directory, RecordingIndex index, RecordingSigningKey key, ILogger logger)
    {
        var results = new List<RecoveredSession>();
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in Directory.EnumerateFiles(directory, "*" + RecordingFormat.FileExtension).Order(StringComparer.Ordinal))
        {
            var sessionId = Path.GetFileNameWithoutExtension(path);
            if (index.Sessions.Contains(sessionId))
            {
                continue;
            }

            var result = Recover(path, sessionId, index, key, sha256);
            results.Add(result);
            switch (result.Action)
            {
                case RecoveryAction.SealedAsInterrupted:
                    LogSealedInterrupted(logger, sessionId, result.Records, result.TruncatedBytes, result.TruncatedAt);
                    break;
                case RecoveryAction.Indexed:
                    LogIndexed(logger, sessionId);
                    break;
                default:
                    LogLeftUnsealed(logger, sessionId, result.Problem ?? "");
                    break;
            }
        }

        return results;
    }

    private static RecoveredSession Recover(string path, string sessionId, RecordingIndex index, RecordingSigningKey key, IncrementalHash sha256)
    {
        RecoveredSession Leave(long records, string problem) =>
            new(sessionId, path, RecoveryAction.LeftUnsealed, records, 0, 0, null, problem);

        SessionMetadata? metadata = null;
        var wallStart = default(DateTimeOffset);
        long records = 0, firstElapsed = 0, lastElapsed = 0, client = 0, server = 0;
        ScannedRecord? last = null;
        ScannedRecord? seal = null;
        long truncatedAt, truncatedBytes;
        byte[] lastHash;
        using (var scanner = new RecordScanner(path))
        {
            if (scanner.HeaderProblem is { } headerProblem)
            {
                return Leave(0, headerProblem);
            }

            while (scanner.TryReadNext(out var record))
            {
                if (!record.HashMatches)
                {
                    return Leave(records, $"record {record.Number} at offset {record.Offset} does not match its hash");
                }

                if (seal is not null)
                {
                    return Leave(records, $"record {record.Number} at offset {record.Offset} follows the seal");
                }

                if (record.Number == 0)
                {
                    if (record.Header.Type != RecordType.Start || record.Header.Flags != 0)
                    {
                        return Leave(records, "the first record is not an uncompressed start record");
                    }

                    try
                    {
                        metadata = RecordPayloads.ReadStart(record.StoredPayload, out wallStart);
                    }
                    catch (InvalidDataException e)
                    {
                        return Leave(records, "the start record cannot be read: " + e.Message);
                    }

                    firstElapsed = record.Header.ElapsedTicks;
                }

                if (record.Header.Type == RecordType.Data)
                {
                    long plain = (record.Header.Flags & RecordingFormat.FlagZstd) != 0 && record.StoredPayload.Length >= 4
                        ? BinaryPrimitives.ReadUInt32LittleEndian(record.StoredPayload)
                        : record.StoredPayload.Length;
                    if (record.Header.Direction == (byte)RecordDirection.ClientToServer)
                    {
                        client += plain;
                    }
                    else
                    {
                        server += plain;
                    }
                }

                if (record.Header.Type == RecordType.Seal)
                {
                    seal = record;
                }
                else
                {
                    lastElapsed = record.Header.ElapsedTicks;
                }

                last = record;
                records++;
            }

            if (metadata is null)
            {
                return Leave(records, "the file holds no complete start record");
            }

            if (!string.Equals(metadata.SessionId, sessionId, StringComparison.Ordinal))
            {
                return Leave(records, $"the start record names session {metadata.SessionId}, not the file's {sessionId}");
            }

            truncatedAt = scanner.EndOffset;
            truncatedBytes = scanner.Length - scanner.EndOffset;
            if (scanner.End == ScanEnd.Malformed && !scanner.IsZeroFrom(scanner.EndOffset))
            {
                return Leave(records, scanner.EndProblem ?? "malformed record");
            }

            lastHash = scanner.LastHash.ToArray();
        }

        if (seal is not null)
        {
            if (truncatedBytes > 0)
            {
                return Leave(records, $"{truncatedBytes} bytes follow the seal");
            }

            var info = RecordPayloads.ReadSeal(seal.StoredPayload.AsSpan(0, seal.StoredPayload.Length - RecordingFormat.SignatureSize));
            index.Append(sessionId, Path.GetFileName(path), records, new FileInfo(path).Length, seal.StoredHash, info, metadata);
            return new RecoveredSession(sessionId, path, RecoveryAction.Indexed, records, 0, 0, null, null);
        }

        string? preserved = null;
        if (truncatedBytes > 0)
        {
            // Keep what is cut off: a forensic reader may want the half record, and the seal says where it was.
            preserved = $"{path}.torn-{truncatedAt}";
            using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            source.Position = truncatedAt;
            using var target = new FileStream(preserved, FileMode.Create, FileAccess.Write);
            source.CopyTo(target);
        }

        var endedByRecord = last?.Header.Type == RecordType.End;
        using var writer = SessionFileWriter.Resume(path, truncatedAt, lastHash, records, wallStart, firstElapsed, lastElapsed, client, server);
        var recovery = new RecoveryInfo(DateTimeOffset.UtcNow, truncatedBytes, truncatedAt);
        var endReason = endedByRecord ? RecordPayloads.ReadEnd(last!.StoredPayload).Reason : "interrupted";
        var (sealHash, length, sealInfo) = writer.Seal(sha256, key, sessionId, endReason, lastElapsed, recovery, writeEnd: !endedByRecord);
        index.Append(sessionId, Path.GetFileName(path), sealInfo.RecordCount + 1, length, sealHash, sealInfo, metadata);
        return new RecoveredSession(sessionId, path, RecoveryAction.SealedAsInterrupted, records, truncatedBytes, truncatedAt, preserved, null);
    }

    [LoggerMessage(EventId = 5110, Level = LogLevel.Warning, Message = "Recording of session {Session} was not sealed when the proxy stopped; sealed as interrupted with {Records} records (torn bytes removed: {TornBytes} at offset {TornOffset})")]
    private static partial void LogSealedInterrupted(ILogger logger, string session, long records, long tornBytes, long tornOffset);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Warning, Message = "Recording of session {Session} was sealed but missing from the index; indexed")]
    private static partial void LogIndexed(ILogger logger, string session);

    [LoggerMessage(EventId = 5112, Level = LogLevel.Error, Message = "Recording of session {Session} left unsealed: {Problem}")]
    private static partial void LogLeftUnsealed(ILogger logger, string session, string problem);
}
