using HoopProxy.Ssh.Policy;
using HoopProxy.Ssh.Sftp;
using HoopProxy.Ssh.Shell;

namespace HoopProxy.Ssh.Session;

/// <summary>
/// Chooses the observer of a session channel once the client has said what it runs: the SFTP decoder for the sftp
/// subsystem, the typed-line reader for a shell. Decoding SFTP happens only while recording; the typed-line reader
/// always runs, since rules can block typed lines whether or not the session is recorded.
/// </summary>
public sealed class ChannelObservers(LoginPolicy judge, bool recording)
{
    /// <summary>The SFTP decoder for "sftp" while recording (its events describe the session; without a record they go nowhere).</summary>
    public IChannelObserver? ForSubsystem(string name) => recording && name == "sftp" ? new SftpObserver() : null;

    /// <summary>
    /// The typed-line reader, for every shell: with a terminal it follows the keystrokes' line editing; without one the
    /// shell reads its standard input as a script, line by line, and a rule must see those lines as well (otherwise
    /// <c>ssh -T host</c> would pass them unjudged). It always runs: blocking does not depend on recording.
    /// </summary>
    public IChannelObserver? ForShell(bool hasTerminal) => new TypedLineObserver(
        hasTerminal ? new TypedLineReader() : new ScriptLineReader(), judge.RefuseTypedLine, recording, hasTerminal, TypedLineReader.DefaultMaxLineLength);
}
