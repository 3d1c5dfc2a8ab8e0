namespace HoopProxy.Ssh.Keys;

/// <summary>The proxy's own SSH host key, and whether this start created it (the caller logs its fingerprint either way).</summary>
public sealed record HostKey(SshPrivateKey Key, bool Created)
{
    public override string ToString() => Created ? $"{Key} (generated)" : Key.ToString();
}

/// <summary>A host key file that is created on first start, as sshd's <c>ssh-keygen -A</c> does.</summary>
public static class HostKeyFile
{
    /// <summary>
    /// Loads <paramref name="path"/>; when it does not exist, generates an Ed25519 key (fast, small, and accepted by
    /// every current client), writes it there with mode 0600, creating the directory (0700) if needed, and returns it.
    /// When another process creates the file at the same moment, its key is loaded instead, so both use one key.
    /// </summary>
    public static HostKey LoadOrCreate(string path, string comment = "hoopproxy host key")
    {
        if (File.Exists(path))
        {
            return new HostKey(SshPrivateKeyFile.Load(path), Created: false);
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try
        {
            if (!Directory.Exists(directory))
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(directory);
                }
                else
                {
                    Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SshKeyFileException(path, $"the host key's directory cannot be created: {e.Message}", e);
        }

        var key = SshPrivateKey.GenerateEd25519();
        try
        {
            SshPrivateKeyFile.Write(path, key, comment);
            return new HostKey(key, Created: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            key.Dispose();
            return new HostKey(SshPrivateKeyFile.Load(path), Created: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            key.Dispose();
            throw new SshKeyFileException(path, $"a new host key cannot be written: {e.Message}", e);
        }
    }
}
