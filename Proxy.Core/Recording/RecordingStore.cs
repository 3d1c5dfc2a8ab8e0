using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Recording;

/// <summary>
/// The directory of session recordings: starts sessions (creating their files on the caller's thread, which is
/// the cheap fail-closed check), owns the background writer, recovers unsealed files on open, and lists,
/// reads and verifies sessions. One store per directory: a lock file keeps a second process out.
/// </summary>
public sealed partial class RecordingStore : IAsyncDisposable
{
    private readonly RecordingOptions _options;
    private readonly ILogger _logger;
    private readonly RecordingSigningKey _key;
    private readonly FileStream? _lock;
    private readonly RecordingIndex? _index;
    private readonly RecordingWriter? _writer;
    private readonly string? _unavailable;
    private readonly ConcurrentDictionary<string, SessionRecorder> _active = new(StringComparer.Ordinal);
    private int _disposed;

    private RecordingStore(RecordingOptions options, ILogger logger, RecordingSigningKey key, FileStream? lockFile,
        RecordingIndex? index, IReadOnlyList<RecoveredSession> recovered, string? unavailable)
    {
        _options = options;
        _logger = logger;
        _key = key;
        _lock = lockFile;
        _index = index;
        Recovered = recovered;
        _unavailable = unavailable;
        if (index is not null)
        {
            _writer = new RecordingWriter(options, index, key, s => _active.TryRemove(s.SessionId, out _), logger);
        }
    }

    public RecordingOptions Options => _options;

    /// <summary>The public key verifiers must trust for this store's seals.</summary>
    public byte[] PublicKey => _key.PublicKey;

    /// <summary>What opening the store found and did: sessions sealed as interrupted, torn records removed, files left unsealed.</summary>
    public IReadOnlyList<RecoveredSession> Recovered { get; }

    /// <summary>
    /// Creates the directory, loads the signing key (a bad key always fails: it is a configuration error), takes
    /// the directory's lock and seals what an earlier process left unsealed. An unwritable directory throws
    /// <see cref="RecordingUnavailableException"/> when fail-closed, else every session is recorded by a no-op.
    /// </summary>
    public static async Task<RecordingStore> OpenAsync(RecordingOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.QueueCapacity < 1 || options.FlushInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("QueueCapacity must be at least 1 and FlushInterval positive", nameof(options));
        }

        var key = RecordingSigningKey.Load(options.SigningKeyFile);
        FileStream? lockFile = null;
        RecordingIndex? index = null;
        try
        {
            Directory.CreateDirectory(options.Directory);
            lockFile = new FileStream(Path.Combine(options.Directory, RecordingFormat.LockFileName),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            index = RecordingIndex.Open(options.Directory, key);
            var indexRef = index;
            var recovered = await Task.Run(() => SessionRecovery.Run(options.Directory, indexRef, key, logger));
            if (index.TornBytesRemoved > 0)
            {
                LogIndexTorn(logger, index.TornBytesRemoved);
            }

            LogOpened(logger, options.Directory, key.KeyId, index.LastLineHash);
            return new RecordingStore(options, logger, key, lockFile, index, recovered, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            index?.Dispose();
            lockFile?.Dispose();
            var problem = $"the recording directory '{options.Directory}' cannot be used: {e.Message}";
            if (options.FailClosed)
            {
                throw new RecordingUnavailableException(problem, e);
            }

            LogUnavailableAtOpen(logger, options.Directory, e.Message);
            return new RecordingStore(options, logger, key, null, null, [], problem);
        }
    }

    /// <summary>
    /// Creates the session's file and writes its start record before returning, so a directory that cannot be
    /// written is found now, before the client's session proceeds: fail-closed throws
    /// <see cref="RecordingUnavailableException"/>; otherwise a warning is logged and a no-op recording returned.
    /// </summary>
    public ISessionRecording StartSession(SessionMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!RecordingFormat.IsValidSessionId(metadata.SessionId))
        {
            throw new ArgumentException($"session id '{metadata.SessionId}' may hold only letters, digits, '.', '_' and '-' (at most 128, not starting with '.')", nameof(metadata));
        }

        if (_unavailable is not null || _writer is null)
        {
            return Unavailable(metadata.SessionId, _unavailable ?? "the store is not open", null);
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            return Unavailable(metadata.SessionId, "the recording store is closed", null);
        }

        if (_writer.Fatal is { } fatal)
        {
            return Unavailable(metadata.SessionId, "the recording writer stopped: " + fatal.Message, fatal);
        }

        var path = Path.Combine(_options.Directory, metadata.SessionId + RecordingFormat.FileExtension);
        if (File.Exists(path))
        {
            throw new ArgumentException($"session {metadata.SessionId} has already been recorded", nameof(metadata));
        }

        var wallClock = DateTimeOffset.UtcNow;
        var monotonic = Stopwatch.GetTimestamp();
        SessionFileWriter? file = null;
        try
        {
            file = SessionFileWriter.Create(path, _options.Compression, wallClock);
            var start = RecordPayloads.Start(metadata, wallClock);
            using (var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                file.Append(sha256, RecordType.Start, 0, 0, 0, start, start.Length);
            }

            file.Flush(toDisk: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (file is not null)
            {
                file.Abandon();
                TryDelete(path);
            }

            return Unavailable(metadata.SessionId, $"cannot create '{path}': {e.Message}", e);
        }

        var recorder = new SessionRecorder(_writer, metadata, file, monotonic);
        _active[metadata.SessionId] = recorder;
        return recorder;
    }

    private ISessionRecording Unavailable(string sessionId, string problem, Exception? cause)
    {
        if (_options.FailClosed)
        {
            var message = $"session {sessionId} cannot be recorded: {problem}";
            throw cause is null ? new RecordingUnavailableException(message) : new RecordingUnavailableException(message, cause);
        }

        LogUnrecorded(_logger, sessionId, problem);
        return new NoopSessionRecording(sessionId);
    }

    /// <summary>Sealed sessions from the index, then active and unsealed files, oldest first.</summary>
    public IReadOnlyList<SessionSummary> ListSessions()
    {
        var directory = _options.Directory;
        var result = new List<SessionSummary>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var indexPath = Path.Combine(directory, RecordingFormat.IndexFileName);
        if (File.Exists(indexPath))
        {
            byte[] content;
            using (var stream = new FileStream(indexPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                content = new byte[stream.Length];
                stream.ReadExactly(content);
            }

            foreach (var line in RecordingIndex.SplitLines(content))
            {
                if (RecordingIndex.TryParse(line.Bytes, out var e, out _, out _, out _) && listed.Add(e.SessionId))
                {
                    var path = Path.Combine(directory, e.FileName);
                    result.Add(new SessionSummary(e.SessionId, SessionState.Sealed, e.Protocol, e.Target, e.Identity, e.StartedAt, e.EndedAt,
                        e.EndReason, e.RecordCount, File.Exists(path) ? new FileInfo(path).Length : 0, e.ClientBytes, e.ServerBytes));
                }
            }
        }

        if (!Directory.Exists(directory))
        {
            return result;
        }

        foreach (var path in Directory.EnumerateFiles(directory, "*" + RecordingFormat.FileExtension).Order(StringComparer.Ordinal))
        {
            var sessionId = Path.GetFileNameWithoutExtension(path);
            if (listed.Contains(sessionId))
            {
                continue;
            }

            var length = new FileInfo(path).Length;
            if (_active.TryGetValue(sessionId, out var active))
            {
                var m = active.Metadata;
                result.Add(new SessionSummary(sessionId, SessionState.Active, m.Protocol, m.Target, m.Identity, m.StartedAt, null, null, null, length, null, null));
                continue;
            }

            try
            {
                var m = new RecordingReader(path).Metadata;
                result.Add(new SessionSummary(sessionId, SessionState.Unsealed, m.Protocol, m.Target, m.Identity, m.StartedAt, null, null, null, length, null, null));
            }
            catch (InvalidDataException)
            {
                result.Add(new SessionSummary(sessionId, SessionState.Unsealed, null, null, null, null, null, null, null, length, null, null));
            }
        }

        return result;
    }

    /// <summary>A reader over one session's file (sealed or still being written).</summary>
    public RecordingReader OpenSession(string sessionId)
    {
        if (!RecordingFormat.IsValidSessionId(sessionId))
        {
            throw new ArgumentException($"'{sessionId}' is not a session id", nameof(sessionId));
        }

        var path = Path.Combine(_options.Directory, sessionId + RecordingFormat.FileExtension);
        return File.Exists(path) ? new RecordingReader(path) : throw new FileNotFoundException($"no recording of session {sessionId}", path);
    }

    /// <summary>Verifies one session or, with null, the whole directory; sessions being recorded are skipped.</summary>
    public VerificationReport Verify(string? sessionId = null)
    {
        var verifier = new RecordingVerifier([_key.PublicKey]);
        if (sessionId is not null)
        {
            if (!RecordingFormat.IsValidSessionId(sessionId))
            {
                throw new ArgumentException($"'{sessionId}' is not a session id", nameof(sessionId));
            }

            return _active.ContainsKey(sessionId)
                ? new VerificationReport([], 0, 0, [sessionId])
                : verifier.VerifySession(_options.Directory, sessionId);
        }

        return verifier.VerifyDirectory(_options.Directory, _active.Keys.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Test hook standing in for a slow disk: awaited by the writer before each data or event record.</summary>
    internal Func<ValueTask>? BeforeEachRecord
    {
        get => _writer?.BeforeEachRecord;
        set => _writer!.BeforeEachRecord = value;
    }

    /// <summary>Seals every session still open (end reason "proxy stopped"), writes what is queued, releases the directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var session in _active.Values.ToArray())
        {
            try
            {
                await session.CompleteAsync("proxy stopped");
            }
            catch (Exception e) when (e is RecordingUnavailableException or InvalidOperationException)
            {
                // Logged by the writer; the remaining sessions still get sealed.
            }
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        _index?.Dispose();
        _lock?.Dispose();
    }

    /// <summary>Test support for kill -9: stops without sealing, losing whatever was not yet flushed, and releases the directory.</summary>
    internal async ValueTask AbandonAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        if (_writer is not null)
        {
            await _writer.AbandonAsync(_active.Values.ToArray());
        }

        _active.Clear();
        _index?.Dispose();
        _lock?.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Recording sessions to {Directory}, signing key {KeyId}, index head {IndexHead}")]
    private static partial void LogOpened(ILogger logger, string directory, string keyId, string indexHead);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "The recording directory {Directory} cannot be used ({Problem}); FailClosed is off, so sessions will NOT be recorded")]
    private static partial void LogUnavailableAtOpen(ILogger logger, string directory, string problem);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Session {Session} is NOT being recorded: {Problem} (FailClosed is off)")]
    private static partial void LogUnrecorded(ILogger logger, string session, string problem);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "The recording index ended in an unfinished line of {Bytes} bytes; removed (the session it named is re-indexed from its seal)")]
    private static partial void LogIndexTorn(ILogger logger, long bytes);
}
