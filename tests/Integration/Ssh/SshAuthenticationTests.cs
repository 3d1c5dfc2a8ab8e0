using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json.Nodes;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Configuration;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Transport;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// Who may log in through the SSH proxy and where to, against a real sshd: passwords (PuTTY's plink and our own
/// client), keys (OpenSSH), unknown users refused exactly like wrong credentials, MaxAuthAttempts and LoginTimeout,
/// <c>user+target</c> routing to two sshds, and the proxy's own login to the target refused for a host key that is not
/// the pinned one or a key the target does not accept — each with the text the client reads.
/// </summary>
[TestFixture]
public sealed class SshAuthenticationTests : SshProxyFixture
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(15);
    private string _keys = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _keys = Directory.CreateTempSubdirectory("hoopproxy-sshauth-").FullName;
        await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "nobody's key", "-f", OtherKeyFile]);
    }

    [OneTimeTearDown]
    public void DeleteFolders()
    {
        Directory.Delete(_keys, recursive: true);
    }

    /// <summary>An ed25519 key that no proxy user and no sshd knows.</summary>
    private string OtherKeyFile => Path.Combine(_keys, "other_ed25519");

    private static Task<ExternalProcess.Result> SshAsync(SshProxyInstance proxy, string login, string command, string? keyFile = null) =>
        ExternalProcess.RunAsync("ssh", [.. proxy.SshOptions(keyFile), $"{login}@127.0.0.1", command], timeout: TimeSpan.FromSeconds(60));

    private static Task<ExternalProcess.Result> PlinkAsync(SshProxyInstance proxy, string login, string password, string command) =>
        ExternalProcess.RunAsync("plink", ["-batch", "-ssh", "-P", proxy.Port.ToString(CultureInfo.InvariantCulture), "-l", login, "-pw", password,
            "-hostkey", proxy.HostKeyFingerprint, "127.0.0.1", command], timeout: TimeSpan.FromSeconds(60));

    private static async Task AssertNoSessionLeftAsync(SshProxyInstance proxy) =>
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(proxy.ActiveSessions == 0), ReleaseTimeout), Is.True,
            $"the proxy still has {proxy.ActiveSessions} sessions open");

    /// <summary>The server port sshd saw the login on (<c>$SSH_CONNECTION</c>: client address, client port, server address, server port).</summary>
    private static int ServerPortOf(ExternalProcess.Result ssh)
    {
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        var fields = ssh.StandardOutput.Trim().Split(' ');
        Assert.That(fields, Has.Length.EqualTo(4), ssh.StandardOutput);
        return int.Parse(fields[3], CultureInfo.InvariantCulture);
    }

    private static SshProxyOptions WithTarget(SshProxyOptions options, SshTarget target) => options with
    {
        Targets = new Dictionary<string, SshTarget> { [target.Name] = target }.ToFrozenDictionary(),
    };

    // ---- passwords ---------------------------------------------------------------------------------------------

    [Test]
    public async Task Plink_with_alices_password_runs_the_command_on_the_target()
    {
        var plink = await PlinkAsync(Proxy, SshProxyInstance.UserName, SshProxyInstance.UserPassword, "echo $SSH_CONNECTION");
        Assert.That(ServerPortOf(plink), Is.EqualTo(Sshd.Port));
        await AssertNoSessionLeftAsync(Proxy);
    }

    [Test]
    public async Task Plink_with_a_wrong_password_is_denied()
    {
        var plink = await PlinkAsync(Proxy, SshProxyInstance.UserName, "not-alice-pw", "echo should-not-run");
        Assert.That(plink.ExitCode, Is.Not.Zero);
        Assert.That(plink.StandardError, Does.Contain("Access denied").And.Contain("Configured password was not accepted"));
        Assert.That(plink.StandardOutput, Does.Not.Contain("should-not-run"));
        await AssertNoSessionLeftAsync(Proxy);
    }

    [Test]
    public async Task A_wrong_password_gets_a_failure_naming_both_methods_and_the_right_one_then_succeeds()
    {
        await using (var client = await RawSshClient.ConnectAsync(Proxy.Port, Proxy.HostKeyFingerprint))
        {
            await client.RequestUserAuthServiceAsync();
            var failure = await client.AuthenticateAsync(SshProxyInstance.UserName, new PasswordAuthMethod("not-alice-pw"));
            Assert.That(failure[0], Is.EqualTo((byte)SshMessageNumber.UserAuthFailure));
            Assert.That(UserAuthFailure.Parse(failure), Is.EqualTo(new UserAuthFailure(["publickey", "password"], PartialSuccess: false)));

            var success = await client.AuthenticateAsync(SshProxyInstance.UserName, new PasswordAuthMethod(SshProxyInstance.UserPassword));
            Assert.That(success[0], Is.EqualTo((byte)SshMessageNumber.UserAuthSuccess));
        }

        await AssertNoSessionLeftAsync(Proxy);
    }

    // ---- keys and unknown users --------------------------------------------------------------------------------

    [Test]
    public async Task An_unknown_key_is_refused_and_alices_key_is_accepted()
    {
        var refused = await SshAsync(Proxy, SshProxyInstance.UserName, "echo should-not-run", OtherKeyFile);
        Assert.That(refused.ExitCode, Is.EqualTo(255));
        Assert.That(refused.StandardError, Does.Contain("Permission denied (publickey,password)"));
        Assert.That(refused.StandardOutput, Does.Not.Contain("should-not-run"));

        var accepted = await SshAsync(Proxy, SshProxyInstance.UserName, "echo $SSH_CONNECTION");
        Assert.That(ServerPortOf(accepted), Is.EqualTo(Sshd.Port));
        await AssertNoSessionLeftAsync(Proxy);
    }

    [Test]
    public async Task An_unknown_user_is_refused_exactly_like_a_wrong_credential()
    {
        // Our client: the same bytes for alice's wrong password as for any password of a user that does not exist, and
        // no PK_OK for alice's own key offered under a name that does not exist (it gets one as alice).
        var aliceKey = SshPrivateKeyFile.Load(Proxy.ClientKeyFile).PublicKey;
        var query = new PublicKeyAuthMethod(aliceKey.KeyType, aliceKey.Blob);
        await using (var client = await RawSshClient.ConnectAsync(Proxy.Port, Proxy.HostKeyFingerprint))
        {
            await client.RequestUserAuthServiceAsync();
            var wrongPassword = await client.AuthenticateAsync(SshProxyInstance.UserName, new PasswordAuthMethod("not-alice-pw"));
            var keyOk = await client.AuthenticateAsync(SshProxyInstance.UserName, query);
            Assert.That(keyOk[0], Is.EqualTo((byte)SshMessageNumber.UserAuthPublicKeyOk), "alice's key is alice's");

            await using var stranger = await RawSshClient.ConnectAsync(Proxy.Port, Proxy.HostKeyFingerprint);
            await stranger.RequestUserAuthServiceAsync();
            var unknownPassword = await stranger.AuthenticateAsync("mallory", new PasswordAuthMethod("not-alice-pw"));
            var unknownKey = await stranger.AuthenticateAsync("mallory", query);
            Assert.That(unknownPassword, Is.EqualTo(wrongPassword));
            Assert.That(unknownKey, Is.EqualTo(wrongPassword));
        }

        // OpenSSH: a wrong key for alice and alice's key for mallory read the same, but for the name each one typed.
        var wrongKey = await SshAsync(Proxy, SshProxyInstance.UserName, "true", OtherKeyFile);
        var unknownUser = await SshAsync(Proxy, "mallory", "true");
        Assert.That((wrongKey.ExitCode, unknownUser.ExitCode), Is.EqualTo((255, 255)));
        Assert.That(unknownUser.StandardError.Replace("mallory@", "alice@", StringComparison.Ordinal), Is.EqualTo(wrongKey.StandardError));
        Assert.That(unknownUser.StandardError, Does.Contain("Permission denied (publickey,password)"));
        await AssertNoSessionLeftAsync(Proxy);
    }

    // ---- limits ------------------------------------------------------------------------------------------------

    [Test]
    public async Task After_MaxAuthAttempts_failures_the_client_is_disconnected_and_none_does_not_count()
    {
        await using var proxy = await SshProxyInstance.StartAsync(Sshd, options => options with { MaxAuthAttempts = 2 });
        await using (var client = await RawSshClient.ConnectAsync(proxy.Port, proxy.HostKeyFingerprint))
        {
            await client.RequestUserAuthServiceAsync();
            var none = await client.AuthenticateAsync(SshProxyInstance.UserName, NoneAuthMethod.Instance);
            Assert.That(UserAuthFailure.Parse(none).MethodsThatCanContinue, Is.EqualTo(new[] { "publickey", "password" }));
            var first = await client.AuthenticateAsync(SshProxyInstance.UserName, new PasswordAuthMethod("wrong-1"));
            Assert.That(first[0], Is.EqualTo((byte)SshMessageNumber.UserAuthFailure));

            // The second failure reaches the limit: no third attempt is heard.
            await client.SendAsync(HoopProxy.Ssh.Transport.Messages.MessageBytes.Of(
                new UserAuthRequest(SshProxyInstance.UserName, "ssh-connection", new PasswordAuthMethod("wrong-2")).WriteTo));
            var disconnect = await client.ReceiveDisconnectAsync();
            Assert.That(disconnect.Reason, Is.EqualTo(SshDisconnectReason.NoMoreAuthMethodsAvailable), disconnect.Description);
            Assert.That(disconnect.Description, Does.Contain("too many authentication failures"));
        }

        // OpenSSH with two keys that are not alice's (both offered, both refused) and her password unknown to it.
        var otherKey2 = Path.Combine(_keys, "other2_ed25519");
        if (!File.Exists(otherKey2))
        {
            await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey2]);
        }

        var ssh = await ExternalProcess.RunAsync("ssh", [.. proxy.SshOptions(OtherKeyFile), "-i", otherKey2, "-o", "LogLevel=ERROR",
            $"{SshProxyInstance.UserName}@127.0.0.1", "true"], timeout: TimeSpan.FromSeconds(60));
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("too many authentication failures"));

        var good = await SshAsync(proxy, SshProxyInstance.UserName, "echo $SSH_CONNECTION");
        Assert.That(ServerPortOf(good), Is.EqualTo(Sshd.Port));
        await AssertNoSessionLeftAsync(proxy);
    }

    [Test]
    public async Task A_client_that_only_sends_its_version_is_disconnected_at_the_login_timeout()
    {
        await using var proxy = await SshProxyInstance.StartAsync(Sshd, options => options with { LoginTimeout = TimeSpan.FromSeconds(2) });
        await using (var raw = await RawSshSocket.ConnectAsync(proxy.Port))
        {
            await raw.SendVersionAsync();
            Assert.That(await raw.ReadVersionAsync(), Is.EqualTo(VersionExchange.OurVersion));
            // The proxy's KEXINIT, then nothing until the timeout; the DISCONNECT comes in the clear (no keys yet).
            var disconnect = await raw.ReadUntilDisconnectAsync();
            Assert.That(disconnect, Is.Not.Null, "the proxy closed the connection without a DISCONNECT");
            Assert.That(disconnect!.Reason, Is.EqualTo(SshDisconnectReason.ByApplication), disconnect.Description);
            Assert.That(disconnect.Description, Does.Contain("login timed out after 2 s"));
            Assert.That(await raw.WaitForCloseAsync(ReleaseTimeout), Is.True, "the proxy kept the connection open");
        }

        await AssertNoSessionLeftAsync(proxy);
    }

    [Test]
    public async Task A_client_that_never_authenticates_is_disconnected_at_the_login_timeout_under_the_keys()
    {
        await using var proxy = await SshProxyInstance.StartAsync(Sshd, options => options with { LoginTimeout = TimeSpan.FromSeconds(2) });
        await using (var client = await RawSshClient.ConnectAsync(proxy.Port, proxy.HostKeyFingerprint))
        {
            await client.RequestUserAuthServiceAsync();
            var wrong = await client.AuthenticateAsync(SshProxyInstance.UserName, new PasswordAuthMethod("wrong"));
            Assert.That(wrong[0], Is.EqualTo((byte)SshMessageNumber.UserAuthFailure));
            var disconnect = await client.ReceiveDisconnectAsync();
            Assert.That(disconnect.Reason, Is.EqualTo(SshDisconnectReason.ByApplication), disconnect.Description);
            Assert.That(disconnect.Description, Does.Contain("login timed out after 2 s"));
        }

        // A login within the timeout is not affected by it.
        var ssh = await SshAsync(proxy, SshProxyInstance.UserName, "echo $SSH_CONNECTION");
        Assert.That(ServerPortOf(ssh), Is.EqualTo(Sshd.Port));
        await AssertNoSessionLeftAsync(proxy);
    }

    [Test]
    public async Task The_login_timeout_does_not_end_a_session_that_has_logged_in()
    {
        await using var proxy = await SshProxyInstance.StartAsync(Sshd, options => options with { LoginTimeout = TimeSpan.FromSeconds(2) });
        var ssh = await SshAsync(proxy, SshProxyInstance.UserName, "sleep 4; echo still-here");
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("still-here"));
        await AssertNoSessionLeftAsync(proxy);
    }

    // ---- user+target -------------------------------------------------------------------------------------------

    [Test]
    public async Task The_user_name_chooses_the_target_and_an_unknown_target_is_an_unknown_user()
    {
        await using var db = await LocalSshd.StartAsync();
        var dbTarget = await SshProxyInstance.TargetFor(db, "db");
        await using var proxy = await SshProxyInstance.StartAsync(Sshd, options => options with
        {
            Targets = new Dictionary<string, SshTarget>(options.Targets) { ["db"] = dbTarget }.ToFrozenDictionary(),
        });

        Assert.That(ServerPortOf(await SshAsync(proxy, "alice", "echo $SSH_CONNECTION")), Is.EqualTo(Sshd.Port), "plain alice: the default target");
        Assert.That(ServerPortOf(await SshAsync(proxy, "alice+web", "echo $SSH_CONNECTION")), Is.EqualTo(Sshd.Port), "alice+web");
        Assert.That(ServerPortOf(await SshAsync(proxy, "alice+db", "echo $SSH_CONNECTION")), Is.EqualTo(db.Port), "alice+db");
        var plink = await PlinkAsync(proxy, "alice+db", SshProxyInstance.UserPassword, "echo $SSH_CONNECTION");
        Assert.That(ServerPortOf(plink), Is.EqualTo(db.Port), "alice+db with a password");

        // alice+nosuch is the user "alice+nosuch", who does not exist: refused like a wrong key, with alice's own key.
        var nosuch = await SshAsync(proxy, "alice+nosuch", "echo should-not-run");
        var wrongKey = await SshAsync(proxy, "alice", "echo should-not-run", OtherKeyFile);
        Assert.That(nosuch.ExitCode, Is.EqualTo(255));
        Assert.That(nosuch.StandardError, Does.Contain("Permission denied (publickey,password)"));
        Assert.That(nosuch.StandardError.Replace("alice+nosuch@", "alice@", StringComparison.Ordinal), Is.EqualTo(wrongKey.StandardError));
        await AssertNoSessionLeftAsync(proxy);
    }

    [Test]
    public async Task Without_a_default_target_a_login_without_one_is_told_to_name_one()
    {
        await using var proxy = await SshProxyInstance.StartAsync(Sshd, options => options with { DefaultTarget = null });
        var ssh = await SshAsync(proxy, "alice", "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("name a target in the user name: alice+TARGET (targets: web)"));
        Assert.That(ServerPortOf(await SshAsync(proxy, "alice+web", "echo $SSH_CONNECTION")), Is.EqualTo(Sshd.Port));
        await AssertNoSessionLeftAsync(proxy);
    }

    // ---- the proxy's own login to the target -------------------------------------------------------------------

    [Test]
    public async Task A_target_host_key_that_is_not_the_pinned_one_is_refused_and_recorded()
    {
        var offered = await Sshd.HostKeyFingerprintAsync("ed25519");
        var pinned = await Sshd.HostKeyFingerprintAsync("ecdsa");
        using var recordings = new RecordingFixture();
        await using var store = await recordings.OpenAsync();
        var target = await SshProxyInstance.TargetFor(Sshd);
        await using (var proxy = await SshProxyInstance.StartAsync(Sshd, options => WithTarget(options, target with { HostKeyFingerprint = pinned }),
                         recordings: store))
        {
            var ssh = await SshAsync(proxy, "alice", "echo should-not-run");
            Assert.That(ssh.ExitCode, Is.EqualTo(255));
            Assert.That(ssh.StandardOutput, Does.Not.Contain("should-not-run"));
            Assert.That(ssh.StandardError,
                Does.Contain($"the host key of target \"web\" ({offered}) is not the pinned {pinned}; the proxy refuses to log in"));
            await AssertNoSessionLeftAsync(proxy);
        }

        List<SessionSummary> sessions = [];
        Assert.That(await Poll.UntilAsync(() =>
        {
            sessions = store.ListSessions().ToList();
            return Task.FromResult(sessions.Count == 1 && sessions[0].State == SessionState.Sealed);
        }, ReleaseTimeout), Is.True, "sessions: " + string.Join(", ", sessions.Select(s => $"{s.SessionId} {s.State}")));
        var upstream = store.OpenSession(sessions[0].SessionId).ReadRecords().Where(r => r.EventType == "upstream").Select(r => r.Fields!).ToList();
        Assert.That(upstream, Has.Count.EqualTo(1));
        Assert.That(Text(upstream[0], "outcome"), Is.EqualTo("failure"));
        Assert.That(Text(upstream[0], "host_key"), Is.EqualTo(offered));
        Assert.That(Text(upstream[0], "target"), Is.EqualTo("web"));
    }

    [Test]
    public async Task After_refusing_a_target_host_key_the_proxy_closes_its_connection_to_the_target()
    {
        var target = await SshProxyInstance.TargetFor(Sshd);
        var pinned = await Sshd.HostKeyFingerprintAsync("ecdsa");
        await using var proxy = await SshProxyInstance.StartAsync(Sshd, options => WithTarget(options, target with { HostKeyFingerprint = pinned }));
        var before = await EstablishedConnectionsToAsync(Sshd.Port);
        var ssh = await SshAsync(proxy, "alice", "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("is not the pinned"));
        await AssertNoSessionLeftAsync(proxy);
        await AssertNoConnectionLeftToAsync(Sshd.Port, before);
    }

    [Test]
    public async Task A_target_that_never_speaks_ssh_ends_at_the_login_timeout_and_its_connection_is_closed()
    {
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var target = await SshProxyInstance.TargetFor(Sshd) with { Port = port };
        await using var proxy = await SshProxyInstance.StartAsync(Sshd, options => WithTarget(options, target) with { LoginTimeout = TimeSpan.FromSeconds(2) });
        var accepting = silent.AcceptSocketAsync();
        var ssh = await SshAsync(proxy, "alice", "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain("login timed out after 2 s"));
        await AssertNoSessionLeftAsync(proxy);

        // The proxy gave up: the target sees the end of the stream (after the proxy's version line).
        using var accepted = await accepting.WaitAsync(ReleaseTimeout);
        var buffer = new byte[4096];
        using var limit = new CancellationTokenSource(ReleaseTimeout);
        var received = new List<byte>();
        var ended = false;
        try
        {
            int read;
            while ((read = await accepted.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, limit.Token)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, read).ToArray());
            }

            ended = true;
        }
        catch (OperationCanceledException)
        {
        }
        catch (System.Net.Sockets.SocketException)
        {
            ended = true;
        }

        Assert.That(System.Text.Encoding.ASCII.GetString(received.ToArray()), Does.StartWith(VersionExchange.OurVersion));
        Assert.That(ended, Is.True, "the proxy's connection to the silent target is still open after the login timed out");
    }

    /// <summary>
    /// The in-process proxy has no TCP connection to <paramref name="port"/> left beyond those in <paramref name="before"/>
    /// (sshd would keep one for its two-minute LoginGraceTime).
    /// </summary>
    private static async Task AssertNoConnectionLeftToAsync(int port, IReadOnlyCollection<string> before)
    {
        List<string> left = [];
        var closed = await Poll.UntilAsync(async () =>
        {
            left = (await EstablishedConnectionsToAsync(port)).Where(c => !before.Contains(c)).ToList();
            return left.Count == 0;
        }, ReleaseTimeout, TimeSpan.FromMilliseconds(250));
        Assert.That(closed, Is.True, $"the proxy's connection to the target is still open:\n{string.Join("\n", left)}");
    }

    /// <summary>
    /// This process's established TCP connections to <paramref name="port"/> on 127.0.0.1 — the in-process proxy's
    /// connections to a target — as <c>ss -p</c> lists them.
    /// </summary>
    private static async Task<List<string>> EstablishedConnectionsToAsync(int port)
    {
        var ss = await ExternalProcess.RunCheckedAsync("ss",
            ["-Htnp", "state", "established", "dst", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"]);
        var ours = $"pid={Environment.ProcessId.ToString(CultureInfo.InvariantCulture)},";
        return ss.StandardOutput.Split('\n').Where(l => l.Contains(ours, StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
    }

    private static string Text(JsonObject fields, string name) => fields[name]?.GetValue<string>() ?? "";

    [Test]
    public async Task A_target_that_refuses_the_proxys_key_gives_a_clear_text_without_the_key()
    {
        var refusedKey = Path.Combine(_keys, "refused_ed25519");
        if (!File.Exists(refusedKey))
        {
            await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "refused-key-comment", "-f", refusedKey]);
        }

        var target = await SshProxyInstance.TargetFor(Sshd);
        await using (var proxy = await SshProxyInstance.StartAsync(Sshd, options => WithTarget(options, target with { PrivateKeyFile = refusedKey })))
        {
            var before = await EstablishedConnectionsToAsync(Sshd.Port);
            var ssh = await SshAsync(proxy, "alice", "echo should-not-run");
            Assert.That(ssh.ExitCode, Is.EqualTo(255));
            Assert.That(ssh.StandardOutput, Does.Not.Contain("should-not-run"));
            Assert.That(ssh.StandardError, Does.Contain("target \"web\" refused the proxy's login"));

            // Neither the key (its public half, its private file's text, its comment) nor where it lives.
            var publicLine = File.ReadAllText(refusedKey + ".pub").Split(' ');
            var privateBody = File.ReadAllLines(refusedKey).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
            Assert.That(ssh.StandardError, Does.Not.Contain(publicLine[1]));
            Assert.That(ssh.StandardError, Does.Not.Contain("refused-key-comment"));
            Assert.That(ssh.StandardError, Does.Not.Contain(refusedKey));
            foreach (var line in privateBody)
            {
                Assert.That(ssh.StandardError, Does.Not.Contain(line));
            }

            await AssertNoSessionLeftAsync(proxy);
            await AssertNoConnectionLeftToAsync(Sshd.Port, before);
        }
    }
}
