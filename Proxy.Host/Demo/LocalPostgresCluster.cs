using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HoopProxy.Host.Demo;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb in a temporary folder, a free port on 127.0.0.1, SCRAM for
/// TCP logins, trust on its private Unix socket for administration. As root, the server runs as the
/// <c>postgres</c> OS user (PostgreSQL refuses to run as root). Used by <c>hoopproxy demo</c> and the tests.
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    public const string Superuser = "postgres";

    private LocalPostgresCluster(string directory, string binDirectory, int port)
    {
        Directory = directory;
        BinDirectory = binDirectory;
        Port = port;
    }

    public string Directory { get; }

    public string BinDirectory { get; }

    public int Port { get; }

    public string Host => "127.0.0.1";

    public string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>Holds the Unix socket; administration connects here without a password.</summary>
    public string SocketDirectory => Path.Combine(Directory, "socket");

    public string LogFile => Path.Combine(Directory, "postgres.log");

    private static bool RunningAsRoot => Environment.IsPrivilegedProcess;

    /// <param name="settings">Extra postgresql.conf lines (name = value).</param>
    /// <param name="hbaLines">pg_hba.conf lines placed before the defaults, so they win (first match).</param>
    /// <param name="files">Files to place in the data directory before start (certificates), by name.</param>
    public static async Task<LocalPostgresCluster> StartAsync(IReadOnlyDictionary<string, string>? settings = null,
        IReadOnlyList<string>? hbaLines = null, IReadOnlyDictionary<string, string>? files = null)
    {
        var bin = FindBinDirectory();
        var directory = Path.Combine(Path.GetTempPath(), "hoopproxy-pg-" + Guid.NewGuid().ToString("N")[..12]);
        var cluster = new LocalPostgresCluster(directory, bin, FreeTcpPort());
        try
        {
            await cluster.InitializeAsync(settings ?? new Dictionary<string, string>(), hbaLines ?? [], files ?? new Dictionary<string, string>());
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task InitializeAsync(IReadOnlyDictionary<string, string> settings, IReadOnlyList<string> hbaLines, IReadOnlyDictionary<string, string> files)
    {
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.Directory.CreateDirectory(SocketDirectory);
        if (RunningAsRoot)
        {
            await ExternalProcess.RunCheckedAsync("chown", ["-R", "postgres:postgres", Directory]);
        }

        await RunAsServerUserAsync(Path.Combine(BinDirectory, "initdb"),
            ["-D", DataDirectory, "-U", Superuser, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);

        var conf = new Dictionary<string, string>
        {
            ["listen_addresses"] = "'127.0.0.1'",
            ["port"] = Port.ToString(CultureInfo.InvariantCulture),
            ["unix_socket_directories"] = $"'{SocketDirectory}'",
            ["password_encryption"] = "'scram-sha-256'",
            ["max_connections"] = "200",
            ["fsync"] = "off",
            ["synchronous_commit"] = "off",
            ["full_page_writes"] = "off",
            ["shared_buffers"] = "128MB",
        };
        foreach (var (key, value) in settings)
        {
            conf[key] = value;
        }

        await File.AppendAllLinesAsync(Path.Combine(DataDirectory, "postgresql.conf"), conf.Select(kv => $"{kv.Key} = {kv.Value}"));
        var hba = Path.Combine(DataDirectory, "pg_hba.conf");
        await File.WriteAllLinesAsync(hba, hbaLines.Concat(await File.ReadAllLinesAsync(hba)));
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(DataDirectory, name);
            await File.WriteAllTextAsync(path, content);
            // PostgreSQL refuses a key file readable by others.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        if (RunningAsRoot)
        {
            await ExternalProcess.RunCheckedAsync("chown", ["-R", "postgres:postgres", DataDirectory]);
        }
        await RunAsServerUserAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "start"]);
    }

    /// <summary>Runs SQL as the superuser through psql on the private socket; returns psql's unaligned output.</summary>
    public async Task<string> ExecuteAsync(string sql, string database = "postgres")
    {
        var result = await ExternalProcess.RunCheckedAsync("psql",
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", SocketDirectory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", Superuser, "-d", database],
            standardInput: sql);
        return result.StandardOutput.Trim();
    }

    /// <summary>Creates a login role with a SCRAM password and a database it owns.</summary>
    public async Task CreateRoleAndDatabaseAsync(string role, string password, string database)
    {
        await ExecuteAsync($"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}';");
        await ExecuteAsync($"CREATE DATABASE \"{database}\" OWNER \"{role}\";");
    }

    private Task<ExternalProcess.Result> RunAsServerUserAsync(string tool, IEnumerable<string> arguments) =>
        RunningAsRoot
            ? ExternalProcess.RunCheckedAsync("runuser", ["-u", "postgres", "--", tool, .. arguments], timeout: TimeSpan.FromMinutes(2))
            : ExternalProcess.RunCheckedAsync(tool, arguments, timeout: TimeSpan.FromMinutes(2));

    public static string FindBinDirectory()
    {
        var root = "/usr/lib/postgresql";
        if (System.IO.Directory.Exists(root))
        {
            var newest = System.IO.Directory.GetDirectories(root)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
            {
                return Path.Combine(newest.Dir, "bin");
            }
        }

        throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)");
    }

    public static int FreeTcpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await RunAsServerUserAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Already stopped; the folder goes anyway.
            }
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
