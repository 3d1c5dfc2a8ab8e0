using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Core.Audit;

/// <summary>Where and how the audit trail is written. Immutable; read once at startup.</summary>
/// <param name="File">The JSON-lines log; its directory is created when missing. Beside it: <c>FILE.lock</c> and torn tails.</param>
/// <param name="SigningKeyFile">Ed25519 private key that signs checkpoints: a PKCS#8 PEM file or a raw 32-byte seed (the recordings' kind of key; it may be the same file).</param>
/// <param name="CheckpointInterval">A signed checkpoint is written this often when anything was logged since the last one.</param>
/// <param name="CheckpointEvents">…and after this many lines, whichever comes first.</param>
/// <param name="FailClosed">When an event cannot be logged, the caller's write throws (true: the session refuses or ends) or the event is counted as dropped (false).</param>
/// <param name="QueueCapacity">Events waiting for the writer before writers wait.</param>
/// <param name="WriteTimeout">Longest a writer waits for room in the queue; then the event counts as not logged, so a hung disk never holds a session for good.</param>
public sealed record AuditOptions(
    string File,
    string SigningKeyFile,
    TimeSpan CheckpointInterval,
    int CheckpointEvents,
    bool FailClosed,
    int QueueCapacity,
    TimeSpan WriteTimeout)
{
    public static readonly TimeSpan DefaultCheckpointInterval = TimeSpan.FromMinutes(1);
    public const int DefaultCheckpointEvents = 1000;
    public const int DefaultQueueCapacity = 4096;
    public static readonly TimeSpan DefaultWriteTimeout = TimeSpan.FromSeconds(5);

    private static readonly string[] Keys = ["File", "SigningKeyFile", "CheckpointInterval", "CheckpointEvents", "FailClosed", "QueueCapacity", "WriteTimeout"];

    /// <summary>The file's lock, held by the one process writing the log.</summary>
    public string LockFile => File + ".lock";

    /// <summary>
    /// Reads the <c>Audit</c> section: <c>File</c> and <c>SigningKeyFile</c> (required; relative to
    /// <paramref name="baseDirectory"/>), <c>CheckpointInterval</c>, <c>CheckpointEvents</c>, <c>FailClosed</c>,
    /// <c>QueueCapacity</c>, <c>WriteTimeout</c>. Returns null when the section is absent (no audit trail).
    /// </summary>
    public static AuditOptions? FromConfiguration(IConfigurationSection section, string baseDirectory)
    {
        if (!section.Exists())
        {
            return null;
        }

        section.RejectUnknownKeys(Keys);
        var file = TlsOptions.Resolve(baseDirectory, section.RequiredString("File"));
        var keyFile = TlsOptions.Resolve(baseDirectory, section.RequiredString("SigningKeyFile"));
        if (!System.IO.File.Exists(keyFile))
        {
            throw new ConfigurationException(ConfigReader.Path(section, "SigningKeyFile"),
                $"file '{keyFile}' does not exist (create one with: openssl genpkey -algorithm ed25519 -out FILE)");
        }

        return new AuditOptions(
            file,
            keyFile,
            section.Duration("CheckpointInterval", DefaultCheckpointInterval),
            section.Int("CheckpointEvents", DefaultCheckpointEvents, min: 1, max: 10_000_000),
            section.Bool("FailClosed", defaultValue: true),
            section.Int("QueueCapacity", DefaultQueueCapacity, min: 1, max: 1_000_000),
            section.Duration("WriteTimeout", DefaultWriteTimeout));
    }
}
