namespace HoopProxy.Ssh.Keys;

/// <summary>
/// A key file could not be used: unreadable, malformed, of an unsupported type, or passphrase-protected. The message
/// names the file and the reason, never any of the key's bytes.
/// </summary>
public sealed class SshKeyFileException(string path, string reason, Exception? inner = null)
    : Exception($"'{path}': {reason}", inner)
{
    public string Path { get; } = path;
}
