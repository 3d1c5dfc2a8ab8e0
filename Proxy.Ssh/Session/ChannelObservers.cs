using HoopProxy.Ssh.Policy;
using HoopProxy.Ssh.Sftp;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// Chooses the observer of a session channel once the client has said what it runs: the SFTP decoder for the sftp
/// subsystem, the typed-line reader for a shell with a terminal. Decoding for the record happens only while recording;
/// the typed-line reader also runs without a recording when rules can block typed lines.
/// </summary>
public sealed class ChannelObservers(ChannelOpenJudge judge, bool recording)
{
    /// <summary>The SFTP decoder for "sftp" while recording (its events describe the session; without a record they go nowhere).</summary>
    public IChannelObserver? ForSubsystem(string name) => recording && name == "sftp" ? new SftpObserver() : null;

    public IChannelObserver? ForShell(bool hasTerminal) => null;

    internal ChannelOpenJudge Judge => judge;

    internal bool Recording => recording;
}
