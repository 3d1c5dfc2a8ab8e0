using System.Collections.Frozen;
using System.Net.Sockets;
using System.Text;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Networking;
using HoopProxy.Core.Recording;
using HoopProxy.Ssh.Authentication;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Policy;
using HoopProxy.Ssh.Session;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Ssh;

/// <summary>What every session of one SSH listener shares: keys loaded once at start, the authenticator, the store.</summary>
internal sealed record SshSessionContext(
    SshProxyOptions Options,
    SshPrivateKey HostKey,
    FrozenDictionary<string, SshPrivateKey> TargetKeys,
    SshClientAuthenticator Authenticator,
    RecordingStore? Recordings,
    string ListenerName)
{
    /// <summary>What the proxy offers its clients (their order wins the negotiation).</summary>
    public TransportPreferences Preferences { get; init; } = new();

    public TransportPreferences TargetPreferences { get; init; } = TransportPreferences.TowardTargets;

    public RekeyLimits Rekey { get; init; } = RekeyLimits.Default;

    /// <summary>Which forwarding channels users may open (<c>SshPolicies</c>); none without rules.</summary>
    public ChannelPolicy Channels { get; init; } = ChannelPolicy.Empty;

    /// <summary>Where exec requests held by Review rules wait for an approver; null refuses them.</summary>
    public Core.Approvals.ApprovalBroker? Approvals { get; init; }

    /// <summary>The audit trail every session writes its logins, commands, policy decisions and end into; null: none.</summary>
    public Core.Audit.AuditLog? Audit { get; init; }

    /// <summary>Token logins, the revocation list, and the guardian that ends live sessions whose credential is revoked or expired.</summary>
    public IdentityServices Identity { get; init; } = IdentityServices.None;
}

/// <summary>Speaks SSH on a listener's connections: the proxy is the server toward clients and the client toward targets.</summary>
public sealed partial class SshConnectionHandler : IConnectionHandler, IDisposable
{
    private readonly SshSessionContext _context;
    private readonly ILogger _logger;

    /// <param name="rekey">When connections change keys; the default unless a test wants it sooner.</param>
    /// <param name="channels">The <c>SshPolicies</c> rules for forwarding channels; null denies all forwarding.</param>
    /// <param name="approvals">The approval broker shared with the other listeners (Review rules); null refuses what they hold.</param>
    /// <param name="audit">The audit log shared with the other listeners; null writes no audit trail.</param>
    /// <param name="identity">Token logins and revocation, shared with the other listeners; configured users only when null.</param>
    public SshConnectionHandler(SshProxyOptions options, UserDirectory users, ILoggerFactory loggerFactory, RecordingStore? recordings = null,
        RekeyLimits? rekey = null, ChannelPolicy? channels = null, Core.Approvals.ApprovalBroker? approvals = null, Core.Audit.AuditLog? audit = null,
        IdentityServices? identity = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger("HoopProxy.Ssh");
        var hostKey = LoadKey("Ssh:HostKeyFile", () => HostKeyFile.LoadOrCreate(options.HostKeyFile));
        if (hostKey.Created)
        {
            LogHostKeyCreated(_logger, options.HostKeyFile, hostKey.Key.PublicKey.Fingerprint);
        }
        else
        {
            LogHostKey(_logger, options.HostKeyFile, hostKey.Key.PublicKey.Fingerprint);
        }

        // Target keys are read at start, so a missing or unreadable file stops the proxy instead of every login.
        var targetKeys = options.Targets.Values
            .Where(t => t.PrivateKeyFile is not null)
            .ToFrozenDictionary(t => t.Name, t => LoadKey($"Ssh:Targets:{t.Name}:PrivateKeyFile", () => SshPrivateKeyFile.Load(t.PrivateKeyFile!)),
                StringComparer.Ordinal);
        _context = new SshSessionContext(options, hostKey.Key, targetKeys,
            new SshClientAuthenticator(users, AuthorizedKeyDirectory.From(users), options) { Identity = identity ?? IdentityServices.None }, recordings, $"ssh@{options.Listen}")
        {
            Rekey = rekey ?? RekeyLimits.Default,
            Channels = channels ?? ChannelPolicy.Empty,
            Approvals = approvals,
            Audit = audit,
            Identity = identity ?? IdentityServices.None,
        };
    }

    public SshPublicKey HostPublicKey => _context.HostKey.PublicKey;

    /// <summary>A key file that cannot be used is a configuration error naming its key, like any other.</summary>
    private static T LoadKey<T>(string configurationKey, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (SshKeyFileException e)
        {
            throw new ConfigurationException($"{configurationKey}: {e.Message}", e);
        }
    }

    public Task HandleAsync(IncomingConnection connection) => new SshProxySession(connection, _context, _logger).RunAsync();

    /// <summary>Our version line, then a DISCONNECT in the clear: OpenSSH prints "Too many connections" from it.</summary>
    public async Task RejectOverloadedAsync(Socket socket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var pipe = new System.IO.Pipelines.Pipe();
        VersionExchange.WriteOurs(pipe.Writer);
        using (var stream = new SshPacketStream(new PipeEnds(pipe.Reader, pipe.Writer)))
        {
            stream.WritePayload(MessageBytes.Of(new Disconnect(SshDisconnectReason.TooManyConnections, "too many connections to the proxy").WriteTo));
        }

        await pipe.Writer.FlushAsync(cancellationToken);
        await pipe.Writer.CompleteAsync();
        var bytes = await pipe.Reader.ReadAsync(cancellationToken);
        foreach (var segment in bytes.Buffer)
        {
            await socket.SendAsync(segment, SocketFlags.None, cancellationToken);
        }
    }

    public void Dispose()
    {
        _context.HostKey.Dispose();
        foreach (var key in _context.TargetKeys.Values)
        {
            key.Dispose();
        }
    }

    private sealed record PipeEnds(System.IO.Pipelines.PipeReader Input, System.IO.Pipelines.PipeWriter Output) : System.IO.Pipelines.IDuplexPipe;

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "ssh host key {File} did not exist: generated an ed25519 key, fingerprint {Fingerprint}")]
    private static partial void LogHostKeyCreated(ILogger logger, string file, string fingerprint);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "ssh host key {File}: {Fingerprint}")]
    private static partial void LogHostKey(ILogger logger, string file, string fingerprint);
}
