using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Tests.Unit.Recording;

/// <summary>A temporary recording directory with a signing key, and helpers to write and inspect sessions.</summary>
internal sealed class RecordingFixture : IDisposable
{
    public RecordingFixture(RecordingCompression compression = RecordingCompression.None, int queueCapacity = 64, bool failClosed = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "hoopproxy-rec-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
        KeyFile = Path.Combine(Root, "signing.key");
        Key = RecordingSigningKey.Generate(KeyFile);
        Options = new RecordingOptions(Path.Combine(Root, "sessions"), KeyFile, TimeSpan.FromMilliseconds(200), failClosed, compression, queueCapacity);
    }

    public string Root { get; }
    public string KeyFile { get; }
    public RecordingSigningKey Key { get; }
    public RecordingOptions Options { get; set; }
    public ListLogger Logger { get; } = new();
    public string IndexPath => Path.Combine(Options.Directory, RecordingFormat.IndexFileName);

    public string SessionPath(string sessionId) => Path.Combine(Options.Directory, sessionId + RecordingFormat.FileExtension);

    public Task<RecordingStore> OpenAsync() => RecordingStore.OpenAsync(Options, Logger);

    public RecordingVerifier Verifier() => new([Key.PublicKey]);

    public static SessionMetadata Metadata(string sessionId) => new(
        sessionId, "postgres", "bank", "pg-main", "alice", ["analysts", "oncall"], "scram-sha-256", "cred-7", "app",
        "192.0.2.10", 51234, "proxy-1", new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));

    /// <summary>Starts, writes a short conversation and completes one session.</summary>
    public static async Task WriteShortSessionAsync(RecordingStore store, string sessionId)
    {
        await using var recording = store.StartSession(Metadata(sessionId));
        await recording.WriteDataAsync(RecordDirection.ClientToServer, new ReadOnlySequence<byte>("Q\0\0\0\rSELECT 1\0"u8.ToArray()));
        await recording.WriteEventAsync("statement", new JsonObject { ["text"] = "SELECT 1", ["verdict"] = "allow" });
        await recording.WriteDataAsync(RecordDirection.ServerToClient, new ReadOnlySequence<byte>(Enumerable.Range(0, 300).Select(i => (byte)(i % 7)).ToArray()));
        await recording.CompleteAsync("client disconnected");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Keeps every formatted log message, to check what the store logs (and that it never logs record contents).</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, eventId, formatter(state, exception) + (exception is null ? "" : " " + exception)));
}
