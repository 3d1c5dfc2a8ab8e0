using System.Collections.Frozen;
using System.Globalization;
using System.Net;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Networking;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// A HoopProxy SSH listener running in the test process on a free port, in front of a <see cref="LocalSshd"/> (target
/// "web", logged in to as <see cref="LocalSshd.UserName"/> with the sshd's generated key and its pinned ed25519 host
/// key). Proxy user <see cref="UserName"/> has a password and a key (<see cref="ClientKeyFile"/>), made here.
/// </summary>
public sealed class SshProxyInstance : IAsyncDisposable
{
    public const string UserName = "alice";
    public const string UserPassword = "alice-pw";
    public const string TargetName = "web";

    private readonly TcpConnectionListener _listener;
    private readonly SshConnectionHandler _handler;

    private SshProxyInstance(TcpConnectionListener listener, SshConnectionHandler handler, SshProxyOptions options, string directory)
    {
        _listener = listener;
        _handler = handler;
        Options = options;
        Directory = directory;
    }

    public SshProxyOptions Options { get; }

    /// <summary>Holds the proxy's host key and the client's key pair.</summary>
    public string Directory { get; }

    public int Port => _listener.LocalEndPoint.Port;

    public int ActiveSessions => _listener.ActiveSessions;

    public string ClientKeyFile => Path.Combine(Directory, "alice_ed25519");

    public string HostKeyFingerprint => _handler.HostPublicKey.Fingerprint;

    /// <summary>The target named <see cref="TargetName"/> for <paramref name="sshd"/>: its key, its pinned ed25519 host key.</summary>
    public static async Task<SshTarget> TargetFor(LocalSshd sshd, string name = TargetName) => new()
    {
        Name = name,
        Host = sshd.Host,
        Port = sshd.Port,
        Username = LocalSshd.UserName,
        PrivateKeyFile = sshd.UserKeyFile,
        HostKeyFingerprint = await sshd.HostKeyFingerprintAsync(),
    };

    /// <param name="configure">Changes the options (more targets, limits) before the listener starts.</param>
    /// <param name="users">Extra users; alice (password and the generated key) is always there.</param>
    public static async Task<SshProxyInstance> StartAsync(LocalSshd sshd, Func<SshProxyOptions, SshProxyOptions>? configure = null,
        IEnumerable<ProxyUser>? users = null, RecordingStore? recordings = null, ILoggerFactory? loggerFactory = null, RekeyLimits? rekey = null,
        HoopProxy.Ssh.Policy.ChannelPolicy? channels = null, HoopProxy.Core.Approvals.ApprovalBroker? approvals = null,
        HoopProxy.Core.Audit.AuditLog? audit = null, HoopProxy.Core.Identity.IdentityServices? identity = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hoopproxy-sshproxy-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var clientKey = Path.Combine(directory, "alice_ed25519");
        await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop", "-f", clientKey]);
        var alice = new ProxyUser(UserName, UserPassword, ["engineers"]) { AuthorizedKeys = [File.ReadAllText(clientKey + ".pub").Trim()] };
        var options = new SshProxyOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            HostKeyFile = Path.Combine(directory, "hostkey"),
            DefaultTarget = TargetName,
            Targets = new Dictionary<string, SshTarget> { [TargetName] = await TargetFor(sshd) }.ToFrozenDictionary(),
        };
        options = configure?.Invoke(options) ?? options;
        var handler = new SshConnectionHandler(options, new UserDirectory([alice, .. users ?? []]), loggerFactory ?? NullLoggerFactory.Instance,
            recordings, rekey, channels, approvals, audit, identity);
        var listener = new TcpConnectionListener("ssh", options.Listen, options.Listener, handler,
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("HoopProxy.Listener"));
        listener.Start();
        return new SshProxyInstance(listener, handler, options, directory);
    }

    /// <summary>
    /// OpenSSH client options for this proxy as alice's key (batch mode: never prompts; host key not checked, since
    /// each instance generates a new one — the pinning tests check it explicitly).
    /// </summary>
    public IReadOnlyList<string> SshOptions(string? keyFile = null) =>
    [
        "-p", Port.ToString(CultureInfo.InvariantCulture),
        "-i", keyFile ?? ClientKeyFile,
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
    ];

    /// <summary>Runs <c>ssh [options] [extra] login@127.0.0.1 command</c> through the proxy.</summary>
    public Task<ExternalProcess.Result> RunSshAsync(string command, IEnumerable<string>? extraOptions = null, string login = UserName,
        string? standardInput = null, TimeSpan? timeout = null) =>
        ExternalProcess.RunAsync("ssh", [.. SshOptions(), .. extraOptions ?? [], $"{login}@127.0.0.1", command], standardInput: standardInput,
            timeout: timeout ?? TimeSpan.FromSeconds(60));

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        _handler.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing a test for.
        }
    }
}
