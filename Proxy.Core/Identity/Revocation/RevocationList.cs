using System.Security.Cryptography;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity.Oidc;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Identity.Revocation;

/// <summary>
/// The revocation file (<c>Identity:RevocationsFile</c>, format in <see cref="RevocationSet"/>), loaded at start and
/// reloaded when it changes, within about a second: a FileSystemWatcher reacts at once, and a periodic look at the
/// file's time and size catches what watchers miss (network and container filesystems, editors that replace the
/// file, an exhausted inotify limit). A file that cannot be read or parsed keeps the previous list in force and is
/// reported (<see cref="LastError"/> and the log). Sessions subscribe to <see cref="Changed"/> and end themselves when
/// the new list matches them.
/// </summary>
public sealed partial class RevocationList : IDisposable
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Editors write in several steps (truncate, write, rename); wait for the burst to end before reading.</summary>
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(100);

    private readonly ILogger _logger;
    private readonly Lock _reload = new();
    private readonly Timer? _poll;
    private readonly Timer? _settle;
    private readonly FileSystemWatcher? _watcher;
    private readonly TimeSpan _pollInterval;
    private RevocationSet _current;
    private (DateTime WriteTime, long Length) _stamp;
    private byte[] _contentHash = [];
    private string? _lastError;
    private bool _disposed;

    private RevocationList(string? path, ILogger logger, RevocationSet initial)
    {
        FilePath = path;
        _logger = logger;
        _current = initial;
    }

    private RevocationList(string path, ILogger logger, TimeSpan pollInterval, bool watch) : this(path, logger, RevocationSet.Empty)
    {
        if (!TryRead(out var set, out var stamp, out var hash, out var error))
        {
            throw new ConfigurationException("Identity:RevocationsFile", $"'{path}': {error}");
        }

        _current = set;
        _stamp = stamp;
        _contentHash = hash;
        LogLoaded(_logger, path, set.TokenIds.Count, set.KeyFingerprints.Count, set.Subjects.Count, set.Users.Count);

        _pollInterval = pollInterval;
        _settle = new Timer(_ => Reload(force: true), null, Timeout.Infinite, Timeout.Infinite);
        _poll = new Timer(_ => Reload(force: false), null, pollInterval, pollInterval);
        if (watch)
        {
            _watcher = TryWatch(path);
        }
    }

    /// <summary>A list that never revokes anything, for a proxy without <c>Identity:RevocationsFile</c>; saves the callers a null check.</summary>
    public static RevocationList None { get; } = new(null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, RevocationSet.Empty);

    /// <summary>Loads <paramref name="path"/> and starts following it.</summary>
    /// <param name="pollInterval">How often the file's time and size are compared; <see cref="DefaultPollInterval"/> when null.</param>
    /// <exception cref="ConfigurationException">The file cannot be read or parsed at start (there is no previous list to keep).</exception>
    public static RevocationList Open(string path, ILogger logger, TimeSpan? pollInterval = null) =>
        new(path, logger, pollInterval ?? DefaultPollInterval, watch: true);

    /// <summary>Polling alone, as on a filesystem whose watcher never fires; for tests.</summary>
    internal static RevocationList OpenWithoutWatcher(string path, ILogger logger, TimeSpan pollInterval) =>
        new(path, logger, pollInterval, watch: false);

    /// <summary>Raised after a reload that changed the entries, on a background thread, one at a time and in order. Keep handlers short (signal the session, do not end it inline); an exception in one is logged and does not stop the others.</summary>
    public event EventHandler<RevocationsChangedEventArgs>? Changed;

    /// <summary>The file followed; null for <see cref="None"/>.</summary>
    public string? FilePath { get; }

    /// <summary>The list in force.</summary>
    public RevocationSet Current => Volatile.Read(ref _current);

    /// <summary>Why the file on disk is not the list in force (unreadable, invalid, missing); null when it is.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    public RevocationMatch? IsRevoked(TokenIdentity identity) => Current.Match(identity);

    /// <inheritdoc cref="RevocationSet.Match(string?, string?, string?, string?)"/>
    public RevocationMatch? IsRevoked(string? user = null, string? subject = null, string? tokenId = null, string? keyFingerprint = null) =>
        Current.Match(user, subject, tokenId, keyFingerprint);

    private FileSystemWatcher? TryWatch(string path)
    {
        try
        {
            var watcher = new FileSystemWatcher(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler changed = (_, _) => Settle();
            watcher.Changed += changed;
            watcher.Created += changed;
            watcher.Deleted += changed;
            watcher.Renamed += (_, _) => Settle();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // inotify instances are limited per user; the poll alone still reloads within its interval.
            LogWatcherUnavailable(_logger, path, e.Message, _pollInterval);
            return null;
        }
    }

    /// <summary>Not under <see cref="_reload"/>: the watcher's thread must not wait for a reload's subscribers.</summary>
    private void Settle()
    {
        try
        {
            _settle!.Change(SettleTime, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <param name="force">Read even if time and size look unchanged (the watcher saw a write; some filesystems keep coarse times).</param>
    private void Reload(bool force)
    {
        RevocationsChangedEventArgs? change;
        lock (_reload)
        {
            if (_disposed || (!force && Stamp(FilePath!) == _stamp))
            {
                return;
            }

            change = ReadAndSwap();
            if (change is not null)
            {
                // Inside the lock: handlers see the changes one at a time and in the order the file went through them.
                RaiseChanged(change);
            }
        }
    }

    /// <summary>Call under <see cref="_reload"/>.</summary>
    private RevocationsChangedEventArgs? ReadAndSwap()
    {
        var path = FilePath!;
        if (!TryRead(out var set, out var stamp, out var hash, out var error))
        {
            // Remembered so the poll does not parse (and log) the same bad file twice a second.
            _stamp = stamp;
            if (error != _lastError)
            {
                LogRejected(_logger, path, error);
            }

            Volatile.Write(ref _lastError, error);
            return null;
        }

        _stamp = stamp;
        Volatile.Write(ref _lastError, null);
        if (hash.AsSpan().SequenceEqual(_contentHash))
        {
            return null;
        }

        _contentHash = hash;
        var previous = _current;
        Volatile.Write(ref _current, set);
        LogLoaded(_logger, path, set.TokenIds.Count, set.KeyFingerprints.Count, set.Subjects.Count, set.Users.Count);
        return new RevocationsChangedEventArgs(previous, set);
    }

    private void RaiseChanged(RevocationsChangedEventArgs change)
    {
        if (Changed is not { } handlers)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<EventHandler<RevocationsChangedEventArgs>>())
        {
            try
            {
                handler(this, change);
            }
#pragma warning disable CA1031 // A failing subscriber must not keep the other sessions from learning of the revocation.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogHandlerFailed(_logger, e);
            }
        }
    }

    private bool TryRead(out RevocationSet set, out (DateTime, long) stamp, out byte[] hash, out string error)
    {
        var path = FilePath!;
        set = RevocationSet.Empty;
        hash = [];
        error = "";
        stamp = Stamp(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            error = "the file is missing";
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return false;
        }

        try
        {
            // An empty file is what a truncate-then-write looks like halfway; an empty list is written {}.
            set = bytes.AsSpan().Trim(" \t\r\n"u8).IsEmpty
                ? throw new FormatException("the file is empty (an empty list is {})")
                : RevocationSet.Parse(System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }

        hash = SHA256.HashData(bytes);
        return true;
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    public void Dispose()
    {
        lock (_reload)
        {
            if (_disposed || FilePath is null)
            {
                return;
            }

            _disposed = true;
        }

        _watcher?.Dispose();
        _poll?.Dispose();
        _settle?.Dispose();
    }

    [LoggerMessage(EventId = 6100, Level = LogLevel.Information, Message = "revocation list {Path} in force: {TokenIds} token ids, {KeyFingerprints} key fingerprints, {Subjects} subjects, {Users} users")]
    private static partial void LogLoaded(ILogger logger, string path, int tokenIds, int keyFingerprints, int subjects, int users);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Error, Message = "revocation list {Path} rejected, the previous list stays in force: {Reason}")]
    private static partial void LogRejected(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "a subscriber to revocation changes failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "revocation list {Path} is not watched for changes ({Reason}); it is still checked every {Interval}")]
    private static partial void LogWatcherUnavailable(ILogger logger, string path, string reason, TimeSpan interval);
}
