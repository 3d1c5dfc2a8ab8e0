using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Core.Recording;

/// <summary>How record payloads are stored on disk.</summary>
public enum RecordingCompression
{
    None,
    Zstd,
}

/// <summary>Where and how sessions are recorded. Immutable; read once at startup.</summary>
/// <param name="Directory">One file per session plus the index; created when missing.</param>
/// <param name="SigningKeyFile">Ed25519 private key: a PKCS#8 PEM file or a raw 32-byte seed.</param>
/// <param name="FlushInterval">Longest time a queued record waits before it reaches the operating system.</param>
/// <param name="FailClosed">When the store cannot write, refuse the session (true) or let it run unrecorded (false).</param>
/// <param name="Compression">Per-record zstd compression of payloads.</param>
/// <param name="QueueCapacity">Records (each at most <see cref="RecordingFormat.MaxDataChunkBytes"/>) waiting for the writer before writers are slowed down.</param>
public sealed record RecordingOptions(
    string Directory,
    string SigningKeyFile,
    TimeSpan FlushInterval,
    bool FailClosed,
    RecordingCompression Compression,
    int QueueCapacity)
{
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(1);
    public const int DefaultQueueCapacity = 1024;

    /// <summary>
    /// Reads <c>Directory</c> (required), <c>SigningKeyFile</c> (required), <c>FlushInterval</c>, <c>FailClosed</c>,
    /// <c>Compression</c> and <c>QueueCapacity</c>; relative paths are resolved against <paramref name="baseDirectory"/>.
    /// Returns null when the section is absent (recording not configured).
    /// </summary>
    public static RecordingOptions? FromConfiguration(IConfigurationSection section, string baseDirectory)
    {
        if (!section.Exists())
        {
            return null;
        }

        var directory = TlsOptions.Resolve(baseDirectory, section.RequiredString("Directory"));
        var keyFile = TlsOptions.Resolve(baseDirectory, section.RequiredString("SigningKeyFile"));
        if (!File.Exists(keyFile))
        {
            throw new ConfigurationException(ConfigReader.Path(section, "SigningKeyFile"),
                $"file '{keyFile}' does not exist (create one with: openssl genpkey -algorithm ed25519 -out FILE)");
        }

        var flush = section.Duration("FlushInterval", DefaultFlushInterval);
        if (flush > TimeSpan.FromMinutes(1))
        {
            throw new ConfigurationException(ConfigReader.Path(section, "FlushInterval"), $"'{flush}' is longer than one minute");
        }

        return new RecordingOptions(
            directory,
            keyFile,
            flush,
            section.Bool("FailClosed", defaultValue: true),
            section.Enum("Compression", RecordingCompression.None),
            section.Int("QueueCapacity", DefaultQueueCapacity, min: 1, max: 1_000_000));
    }
}
