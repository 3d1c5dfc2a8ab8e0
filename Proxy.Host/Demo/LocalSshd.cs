using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace HoopProxy.Host.Demo;

/// <summary>
/// A throwaway OpenSSH server: its own configuration, host keys (ed25519, RSA, ECDSA) and port on 127.0.0.1, public
/// key login only, for one OS account whose password field is <c>*</c> (sshd refuses a locked <c>!</c> account). The
/// account's key pair is generated here; the proxy (or a test) logs in with it. Needs root (sshd does) and
/// /usr/sbin/sshd. Used by <c>hoopproxy demo</c> and the tests.
/// </summary>
public sealed class LocalSshd : IAsyncDisposable
{
    /// <summary>The OS account the target logins use; created on first use.</summary>
    public const string UserName = "hoopproxy-target";

    private const string Sshd = "/usr/sbin/sshd";

    private readonly Process _process;

    private LocalSshd(string directory, int port, Process process)
    {
        Directory = directory;
        Port = port;
        _process = process;
    }

    public string Directory { get; }

    public int Port { get; }

    public string Host => "127.0.0.1";

    /// <summary>The account's private key (OpenSSH format, ed25519): what a target configuration names as its key file.</summary>
    public string UserKeyFile => Path.Combine(Directory, "user_ed25519");

    public string HostKeyFile(string type) => Path.Combine(Directory, $"host_{type}");

    public string LogFile => Path.Combine(Directory, "sshd.log");

    public static async Task<LocalSshd> StartAsync(IReadOnlyList<string>? extraConfiguration = null)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("a throwaway sshd needs root (sshd changes to the logged-in user)");
        }

        if (!File.Exists(Sshd))
        {
            throw new InvalidOperationException($"{Sshd} is missing: apt-get install openssh-server (scripts/install-deps.sh does)");
        }

        await EnsureUserAsync();
        // sshd's privilege separation needs this directory; a fresh container has no /run/sshd.
        System.IO.Directory.CreateDirectory("/run/sshd");
        var directory = Path.Combine(Path.GetTempPath(), "hoopproxy-sshd-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var port = LocalPostgresCluster.FreeTcpPort();
        foreach (var (type, bits) in new[] { ("ed25519", ""), ("rsa", "3072"), ("ecdsa", "256") })
        {
            var path = Path.Combine(directory, $"host_{type}");
            await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", type, .. bits.Length > 0 ? new[] { "-b", bits } : [], "-N", "", "-f", path]);
        }

        var userKey = Path.Combine(directory, "user_ed25519");
        await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "hoopproxy target key", "-f", userKey]);
        File.Copy(userKey + ".pub", Path.Combine(directory, "authorized_keys"));
        var configuration = Path.Combine(directory, "sshd_config");
        // sshd takes the first value it reads for a keyword: the caller's lines come first so they win.
        await File.WriteAllLinesAsync(configuration,
        [
            .. extraConfiguration ?? [],
            "ListenAddress 127.0.0.1",
            $"Port {port.ToString(CultureInfo.InvariantCulture)}",
            $"HostKey {directory}/host_ed25519",
            $"HostKey {directory}/host_rsa",
            $"HostKey {directory}/host_ecdsa",
            $"PidFile {directory}/sshd.pid",
            $"AuthorizedKeysFile {directory}/authorized_keys",
            // The files live in a temporary folder owned by root, not in the account's home.
            "StrictModes no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin no",
            $"AllowUsers {UserName}",
            "AllowTcpForwarding yes",
            // Lets clients pass these variables through the proxy (ssh -o SetEnv=..., SendEnv).
            "AcceptEnv LANG LC_* HOOP_*",
            "Subsystem sftp internal-sftp",
            "LogLevel VERBOSE",
        ]);

        // -D: stay in the foreground as our child; -E: log to a file (nobody reads a redirected pipe, which would fill and block sshd).
        var start = new ProcessStartInfo(Sshd, ["-D", "-f", configuration, "-E", Path.Combine(directory, "sshd.log")]) { UseShellExecute = false };
        var process = Process.Start(start) ?? throw new InvalidOperationException("sshd did not start");
        var sshd = new LocalSshd(directory, port, process);
        try
        {
            await sshd.WaitUntilListeningAsync();
            return sshd;
        }
        catch
        {
            await sshd.DisposeAsync();
            throw;
        }
    }

    /// <summary>The SHA256 fingerprint of a host key, as ssh-keygen prints it (what a target configuration pins).</summary>
    public async Task<string> HostKeyFingerprintAsync(string type = "ed25519")
    {
        var result = await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-l", "-E", "sha256", "-f", HostKeyFile(type) + ".pub"]);
        return result.StandardOutput.Split(' ')[1];
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"sshd exited with {_process.ExitCode}: {ReadLog()}");
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(Host, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"sshd did not listen on {Host}:{Port} within 20 s: {ReadLog()}");
    }

    private string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";

    /// <summary>The target account: a home and a shell; its password field is <c>*</c> (no password login, but not locked).</summary>
    private static async Task EnsureUserAsync()
    {
        if ((await ExternalProcess.RunAsync("id", [UserName])).ExitCode == 0)
        {
            return;
        }

        await ExternalProcess.RunCheckedAsync("useradd", ["--create-home", "--shell", "/bin/bash", UserName]);
        await ExternalProcess.RunCheckedAsync("usermod", ["--password", "*", UserName]);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
