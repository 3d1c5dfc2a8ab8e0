using System.Buffers;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// What an SSH session writes into its recording (docs/recording-format.md, "SSH sessions"): channel data and extended
/// data as the decrypted connection-protocol messages with the proxy's channel number, and events. Without a recording
/// every call returns at once. A recording that fails ends the session (fail closed): the error propagates.
/// </summary>
public sealed class SshSessionRecord(ISessionRecording? recording)
{
    public bool IsRecording => recording is not null;

    public ISessionRecording? Recording => recording;

    /// <summary>A CHANNEL_DATA or CHANNEL_EXTENDED_DATA message whose recipient field holds the proxy's channel number.</summary>
    public ValueTask DataAsync(RecordDirection direction, byte[] message, CancellationToken cancellationToken) =>
        recording is null ? ValueTask.CompletedTask : recording.WriteDataAsync(direction, new ReadOnlySequence<byte>(message), cancellationToken);

    /// <summary>The session's part of the audit trail, once its login is known; null without an audit log.</summary>
    public SshAuditTrail? Audit { get; set; }

    /// <summary>An event for the record, and for the audit trail when it is one the trail keeps.</summary>
    public async ValueTask EventAsync(string type, JsonObject fields, CancellationToken cancellationToken = default)
    {
        if (recording is not null)
        {
            await recording.WriteEventAsync(type, fields, cancellationToken);
        }

        if (Audit is { } audit)
        {
            await audit.OnRecordedAsync(type, fields, cancellationToken);
        }
    }
}
