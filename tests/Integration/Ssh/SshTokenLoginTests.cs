using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using HoopProxy.Core.Audit;
using HoopProxy.Core.Identity;
using HoopProxy.Core.Identity.Oidc;
using HoopProxy.Core.Identity.Revocation;
using HoopProxy.Core.Identity.Sessions;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh;
using HoopProxy.Ssh.Authentication.Messages;
using HoopProxy.Ssh.Connection.Messages;
using HoopProxy.Ssh.Keys;
using HoopProxy.Ssh.Policy;
using HoopProxy.Ssh.Transport;
using HoopProxy.Ssh.Transport.Messages;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Ssh;

/// <summary>
/// OIDC access tokens as SSH credentials, through OpenSSH's ssh and a real sshd: the token as the password and as the
/// keyboard-interactive answer; refusals (expired, wrong audience, revoked, alg none, HMAC, another user's) explained in
/// a banner on ssh's stderr; configured passwords and keys working beside tokens; revoked users and keys refused at
/// login; and live sessions — under a token or a key — ended within about a second of the revocation file changing, or
/// at the token's expiry, with the reason on ssh's stderr, in the recording and in the audit trail.
/// </summary>
[TestFixture]
public sealed class SshTokenLoginTests
{
    private const string TokenUser = TestIdentityProvider.UserEmail;
    private const string KeyUser = "bob";
    private const string RevokedUser = "carol";
    private const string RevokedUserPassword = "carol-pw";

    /// <summary>The proxy must end a session within a second of the file changing; CI machines are noisy, so the test allows three.</summary>
    private static readonly TimeSpan EndWithin = TimeSpan.FromSeconds(3);

    private readonly Lock _revocationGate = new();
    private readonly Dictionary<string, List<string>> _revoked = new()
    {
        ["tokenIds"] = [], ["keyFingerprints"] = [], ["subjects"] = [], ["users"] = [],
    };

    private TestIdentityProvider _idp = null!;
    private RevocationList _revocations = null!;
    private IdentityServices _identity = null!;
    private RecordingFixture _recordings = null!;
    private RecordingStore _store = null!;
    private string _auditDirectory = null!;
    private AuditLog _audit = null!;
    private LocalSshd _sshd = null!;
    private SshProxyInstance _proxy = null!;
    private string _bobKey = null!;

    /// <summary>Commands touching this path wait for an approver (a Review rule): a session can be revoked while one waits.</summary>
    private const string HeldMarker = "/tmp/hoopproxy-held-by-review-";

    private readonly HoopProxy.Core.Approvals.ApprovalBroker _broker = new();

    private string RevocationFile => Path.Combine(_idp.Root, "revocations.json");

    private string AuditFile => Path.Combine(_auditDirectory, "audit.jsonl");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _idp = TestIdentityProvider.Start();
        // A small clock skew, so a token a few seconds past its exp is refused at login; ending a live session does not
        // use the skew at all (it ends at exp, plus ExpiryGrace, which is zero here).
        var options = _idp.FileOptions(_idp.WriteJwksFile()) with { ClockSkew = TimeSpan.FromSeconds(2) };
        var validator = new OidcTokenValidator(options, NullLogger.Instance);
        Assert.That(await validator.LoadKeysAsync(), Is.True, "the JWKS file has keys");
        await File.WriteAllTextAsync(RevocationFile, "{}");
        _revocations = RevocationList.Open(RevocationFile, NullLogger.Instance);

        _auditDirectory = Directory.CreateTempSubdirectory("hoopproxy-ssh-token-audit-").FullName;
        RecordingSigningKey.Generate(Path.Combine(_auditDirectory, "audit.key"));
        _audit = await AuditLog.OpenAsync(new AuditOptions(AuditFile, Path.Combine(_auditDirectory, "audit.key"), TimeSpan.FromHours(1), 1000, true,
            1024, TimeSpan.FromSeconds(5)), NullLogger.Instance);
        // The proxy's services as IdentityServices.StartAsync builds them, with the list the test writes and the audit log it reads.
        _identity = new IdentityServices(validator, _revocations, new SessionGuardian(_revocations, NullLogger.Instance, _audit));

        _recordings = new RecordingFixture();
        _store = await _recordings.OpenAsync();
        _sshd = await LocalSshd.StartAsync();
        _bobKey = Path.Combine(_auditDirectory, "bob_ed25519");
        await ExternalProcess.RunCheckedAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "bob@laptop", "-f", _bobKey]);
        var bob = new ProxyUser(KeyUser, null, ["operators"]) { AuthorizedKeys = [(await File.ReadAllTextAsync(_bobKey + ".pub")).Trim()] };
        var carol = new ProxyUser(RevokedUser, RevokedUserPassword, ["engineers"]);
        var review = new ChannelPolicy(
        [
            new ChannelRule("held-by-review", ChannelAction.Review)
            {
                Pattern = new System.Text.RegularExpressions.Regex(System.Text.RegularExpressions.Regex.Escape(HeldMarker)),
                Approvers = ["ops"],
                Timeout = TimeSpan.FromMinutes(5),
            },
        ]);
        _proxy = await SshProxyInstance.StartAsync(_sshd, users: [bob, carol], recordings: _store, audit: _audit, identity: _identity,
            channels: review, approvals: _broker);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _proxy.DisposeAsync();
        await _sshd.DisposeAsync();
        await _store.DisposeAsync();
        _recordings.Dispose();
        _identity.Dispose();
        _revocations.Dispose();
        await _audit.DisposeAsync();
        Directory.Delete(_auditDirectory, recursive: true);
        _idp.Dispose();
    }

    // ---- tokens accepted -----------------------------------------------------------------------------------------

    [Test]
    public async Task A_token_as_the_password_runs_the_command_and_the_recording_and_audit_trail_name_the_token_identity()
    {
        var jti = Guid.NewGuid().ToString("N");
        var token = _idp.Mint(_idp.Rsa, c => c["jti"] = jti);
        Assert.That(token, Has.Length.LessThan(1023), "OpenSSH reads at most 1023 characters at a prompt");
        await TestContext.Out.WriteLineAsync($"RS256 token: {token.Length} characters, ES256: {_idp.Mint(_idp.Ec).Length}");

        var (ssh, session) = await RunInNewSessionAsync(() => SshWithSecretAsync(TokenUser, token, "password", "echo token-$((6*7))"));
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("token-42"));

        var metadata = _store.OpenSession(session.SessionId).Metadata;
        Assert.That((metadata.Identity, metadata.IdentityIssuer, metadata.IdentitySubject, metadata.CredentialId, metadata.AuthenticationMethod),
            Is.EqualTo((TokenUser, _idp.Issuer, TestIdentityProvider.UserSubject, jti, "oidc-password")));
        Assert.That(metadata.Groups, Is.EqualTo(new[] { "analysts", "on-call" }), "the token's groups");

        await _audit.FlushAsync();
        var login = AuditLines().Single(l => Text(l["session_id"]) == session.SessionId && Text(l["type"]) == "authentication");
        Assert.That((Text(login["outcome"]), Text(login["action"]), Text(login["credential_id"])), Is.EqualTo(("success", "oidc-password", jti)));
        Assert.That((Text(login["user"]!["issuer"]), Text(login["user"]!["subject"]), Text(login["user"]!["name"])),
            Is.EqualTo((_idp.Issuer, TestIdentityProvider.UserSubject, TokenUser)));
        AssertTokenNowhere(token, session);
    }

    [Test]
    public async Task A_token_typed_at_the_keyboard_interactive_prompt_runs_the_command()
    {
        var jti = Guid.NewGuid().ToString("N");
        var token = _idp.Mint(_idp.Ec, c => c["jti"] = jti);
        var (ssh, session) = await RunInNewSessionAsync(() =>
            SshWithSecretAsync($"{TokenUser}+{SshProxyInstance.TargetName}", token, "keyboard-interactive", "echo kbd-$((6*7))"));
        Assert.That(ssh.ExitCode, Is.Zero, ssh.StandardError);
        Assert.That(ssh.StandardOutput.Trim(), Is.EqualTo("kbd-42"));

        var metadata = _store.OpenSession(session.SessionId).Metadata;
        Assert.That((metadata.Identity, metadata.IdentityIssuer, metadata.CredentialId, metadata.AuthenticationMethod),
            Is.EqualTo((TokenUser, _idp.Issuer, jti, "oidc-keyboard-interactive")));
        AssertTokenNowhere(token, session);
    }

    [Test]
    public async Task Configured_passwords_and_keys_keep_working_beside_tokens()
    {
        var password = await SshWithSecretAsync(SshProxyInstance.UserName, SshProxyInstance.UserPassword, "password", "echo pw-ok");
        var typed = await SshWithSecretAsync(SshProxyInstance.UserName, SshProxyInstance.UserPassword, "keyboard-interactive", "echo kbd-ok");
        var key = await _proxy.RunSshAsync("echo key-ok");
        Assert.That((password.ExitCode, typed.ExitCode, key.ExitCode), Is.EqualTo((0, 0, 0)), password.StandardError + typed.StandardError + key.StandardError);
        Assert.That((password.StandardOutput.Trim(), typed.StandardOutput.Trim(), key.StandardOutput.Trim()), Is.EqualTo(("pw-ok", "kbd-ok", "key-ok")));

        var wrong = await SshWithSecretAsync(SshProxyInstance.UserName, "not-" + SshProxyInstance.UserPassword, "password", "echo should-not-run");
        Assert.That(wrong.ExitCode, Is.EqualTo(255));
        Assert.That(wrong.StandardError, Does.Contain("Permission denied (publickey,password,keyboard-interactive)"));
        Assert.That(wrong.StandardError, Does.Not.Contain("hoopproxy:"), "a wrong password is not explained: that would tell who exists");
    }

    // ---- tokens refused, with the reason on ssh's stderr ----------------------------------------------------------

    private static IEnumerable<TestCaseData> Refusals()
    {
        yield return new TestCaseData(new Func<TestIdentityProvider, string>(idp => idp.Mint(idp.Rsa, c =>
        {
            var past = DateTimeOffset.UtcNow.AddMinutes(-10);
            c["iat"] = TestIdentityProvider.Unix(past.AddHours(-1));
            c["nbf"] = TestIdentityProvider.Unix(past.AddHours(-1));
            c["exp"] = TestIdentityProvider.Unix(past);
        })), "the token expired at", "token-expired").SetArgDisplayNames("expired");
        yield return new TestCaseData(new Func<TestIdentityProvider, string>(idp => idp.Mint(idp.Rsa, c => c["aud"] = "another-api")),
            "the token is not meant for this proxy (wrong audience)", "token-wrong-audience").SetArgDisplayNames("wrong audience");
        yield return new TestCaseData(new Func<TestIdentityProvider, string>(idp => idp.MintUnsigned()),
            "the token's signing algorithm 'none' is not accepted", "token-algorithm-refused").SetArgDisplayNames("alg none");
        yield return new TestCaseData(new Func<TestIdentityProvider, string>(idp => idp.MintHmacWithPublicKey(idp.Rsa)),
            "the token's signing algorithm 'HS256' is not accepted", "token-algorithm-refused").SetArgDisplayNames("HMAC with the public key");
        yield return new TestCaseData(new Func<TestIdentityProvider, string>(idp => idp.Mint(idp.Rsa, editHeader: h => h["kid"] = "no-such-key")),
            "the token is signed with an unknown key (kid 'no-such-key')", "token-unknown-key").SetArgDisplayNames("unknown key");
    }

    [TestCaseSource(nameof(Refusals))]
    public async Task A_refused_token_is_explained_on_stderr_and_audited_with_its_error_code(Func<TestIdentityProvider, string> mint, string reason, string errorCode)
    {
        var token = mint(_idp);
        var (ssh, session) = await RunInNewSessionAsync(() => SshWithSecretAsync(TokenUser, token, "password", "echo should-not-run"));
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardOutput, Does.Not.Contain("should-not-run"));
        Assert.That(ssh.StandardError, Does.Contain("hoopproxy: " + reason));
        Assert.That(ssh.StandardError, Does.Contain("Permission denied (publickey,password,keyboard-interactive)"));

        var login = _store.OpenSession(session.SessionId).ReadRecords().Single(r => r.EventType == "login");
        Assert.That((Text(login.Fields!["method"]), Text(login.Fields["outcome"]), Text(login.Fields["error_code"])),
            Is.EqualTo(("oidc-password", "failure", errorCode)));
        Assert.That(Text(login.Fields["reason"]), Does.StartWith(reason));

        await _audit.FlushAsync();
        var refused = AuditLines().Last(l => Text(l["type"]) == "authentication" && Text(l["outcome"]) == "failure");
        Assert.That((Text(refused["action"]), Text(refused["error_code"]), Text(refused["user"]!["name"])), Is.EqualTo(("oidc-password", errorCode, TokenUser)));
        AssertTokenNowhere(token, session);
    }

    [Test]
    public async Task A_token_longer_than_OpenSSH_reads_at_a_prompt_is_refused_saying_it_was_probably_cut()
    {
        var token = _idp.Mint(_idp.Rsa, c => c["padding"] = new string('x', 600));
        Assert.That(token, Has.Length.GreaterThan(1023));
        var ssh = await SshWithSecretAsync(TokenUser, token, "password", "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain(
            "hoopproxy: the password is exactly 1023 characters and starts like an access token: OpenSSH reads no more than that at a prompt, so the token was probably cut"));
    }

    [Test]
    public async Task A_token_cut_inside_its_signature_is_refused_with_the_signature_and_the_likely_cut()
    {
        // Sent whole by our own client (no limit), cut exactly where OpenSSH would cut it: still three parts.
        var token = _idp.Mint(_idp.Rsa, c => c["padding"] = new string('x', 300));
        Assert.That(token.LastIndexOf('.'), Is.LessThan(1023).And.GreaterThan(0));
        Assert.That(token, Has.Length.GreaterThan(1023));
        await using var client = await ConnectRawAsync();
        await client.SendAsync(MessageBytes.Of(new UserAuthRequest(TokenUser, ServiceRequest.Connection, new PasswordAuthMethod(token[..1023])).WriteTo));
        var banner = UserAuthBanner.Parse(await client.ReceiveAsync());
        Assert.That(banner.Message, Does.StartWith("hoopproxy: the token's signature is not valid (the password is exactly 1023 characters"));
    }

    [Test]
    public async Task A_revoked_token_id_is_refused_at_login_with_the_revocation()
    {
        var jti = Guid.NewGuid().ToString("N");
        await RevokeAndWaitAsync("tokenIds", jti);
        var ssh = await SshWithSecretAsync(TokenUser, _idp.Mint(_idp.Rsa, c => c["jti"] = jti), "keyboard-interactive", "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain($"hoopproxy: token '{jti}' has been revoked"));
        Assert.That(ssh.StandardOutput, Does.Not.Contain("should-not-run"));
    }

    [Test]
    public async Task A_token_for_another_user_is_refused_naming_whom_it_is_for()
    {
        var ssh = await SshWithSecretAsync("mallory@example.test", _idp.Mint(_idp.Rsa), "password", "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain($"hoopproxy: the access token is for '{TokenUser}', not for 'mallory@example.test'"));
    }

    [Test]
    public async Task A_token_cannot_take_the_name_of_a_configured_user()
    {
        // The provider calls its user "alice", as the proxy's configured alice is called: the token must not make them her.
        var ssh = await SshWithSecretAsync(SshProxyInstance.UserName, _idp.Mint(_idp.Rsa, c => c["email"] = SshProxyInstance.UserName), "password",
            "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardOutput, Does.Not.Contain("should-not-run"));
        Assert.That(ssh.StandardError, Does.Contain($"hoopproxy: the access token names '{SshProxyInstance.UserName}', a user configured in the proxy"));
    }

    [Test]
    public async Task A_configured_user_on_the_revocation_list_is_refused_with_the_reason_after_the_right_password()
    {
        await RevokeAndWaitAsync("users", RevokedUser);
        var ssh = await SshWithSecretAsync(RevokedUser, RevokedUserPassword, "password", "echo should-not-run");
        Assert.That(ssh.ExitCode, Is.EqualTo(255));
        Assert.That(ssh.StandardError, Does.Contain($"hoopproxy: the credentials of user '{RevokedUser}' have been revoked"));

        var wrong = await SshWithSecretAsync(RevokedUser, "not-" + RevokedUserPassword, "password", "echo should-not-run");
        Assert.That(wrong.StandardError, Does.Not.Contain("hoopproxy:"), "only the holder of the password learns of the revocation");
    }

    // ---- live sessions ended -------------------------------------------------------------------------------------

    [Test]
    public async Task A_token_session_ends_within_a_second_of_its_token_id_being_revoked()
    {
        var jti = Guid.NewGuid().ToString("N");
        var token = _idp.Mint(_idp.Rsa, c => c["jti"] = jti);
        var before = SessionIds();
        using var ssh = LiveSsh.Start(PasswordArguments(TokenUser, "password", "echo started; sleep 60"), await AskpassEnvironmentAsync(token));
        await ssh.WaitForOutputAsync("started");

        var elapsed = await RevokeAndTimeExitAsync(ssh, "tokenIds", jti);
        Assert.That(ssh.ExitCode, Is.EqualTo(255), ssh.StandardError);
        Assert.That(ssh.StandardError, Does.Contain($"hoopproxy ended the session: token '{jti}' has been revoked"));
        Assert.That(elapsed, Is.LessThan(EndWithin));

        var session = await SingleNewSealedSessionAsync(before);
        var revocation = _store.OpenSession(session.SessionId).ReadRecords().Single(r => r.EventType == "revocation");
        Assert.That((Text(revocation.Fields!["cause"]), Text(revocation.Fields["kind"]), Text(revocation.Fields["value"])), Is.EqualTo(("revoked", "tokenIds", jti)));
        Assert.That(Text(revocation.Fields["reason"]), Is.EqualTo($"token '{jti}' has been revoked"));
        Assert.That(session.EndReason, Is.EqualTo($"hoopproxy ended the session: token '{jti}' has been revoked"));

        await _audit.FlushAsync();
        var trail = AuditLines().Where(l => Text(l["session_id"]) == session.SessionId).ToList();
        var ended = trail.Single(l => Text(l["type"]) == "revocation");
        Assert.That((Text(ended["outcome"]), Text(ended["action"]), Text(ended["credential_id"]), Text(ended["user"]!["subject"])),
            Is.EqualTo(("success", "revoked", jti, TestIdentityProvider.UserSubject)));
        Assert.That(trail.FindIndex(l => Text(l["type"]) == "revocation"), Is.LessThan(trail.FindIndex(l => Text(l["type"]) == "disconnect")),
            "the revocation is written before the disconnect");
        Assert.That(AuditLines().Any(l => Text(l["type"]) == "revocation" && Text(l["action"]) == "listed" && Text(l["credential_id"]) == jti), Is.True,
            "the guardian's event for the list's new entry");

        var again = await SshWithSecretAsync(TokenUser, token, "password", "echo should-not-run");
        Assert.That(again.ExitCode, Is.EqualTo(255));
        Assert.That(again.StandardError, Does.Contain($"hoopproxy: token '{jti}' has been revoked"));
        AssertTokenNowhere(token, session);
    }

    [Test]
    public async Task Busy_sessions_of_one_token_all_end_with_the_reason_and_not_a_broken_connection()
    {
        // Three sessions of the token stream as fast as their targets can write, so the relays are busy sending and the
        // clients busy reading (and sending window adjustments) when the end comes. Each client must still read the
        // reason: not lose it behind the stream, in a broken packet ("Corrupted MAC"), or to a connection reset
        // because the proxy closed with the client's messages unread ("Broken pipe").
        var jti = Guid.NewGuid().ToString("N");
        var environment = await AskpassEnvironmentAsync(_idp.Mint(_idp.Rsa, c => c["jti"] = jti));
        var sessions = new List<LiveSsh>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                sessions.Add(LiveSsh.Start(PasswordArguments(TokenUser, "password", "echo started; yes"), environment));
            }

            foreach (var ssh in sessions)
            {
                await ssh.WaitForOutputAsync("started");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300));
            var clock = Stopwatch.StartNew();
            Revoke("tokenIds", jti);
            foreach (var ssh in sessions)
            {
                Assert.That(await ssh.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.True, "ssh still runs 20 s after its token was revoked");
            }

            await TestContext.Out.WriteLineAsync($"all three ended {clock.Elapsed.TotalMilliseconds:0} ms after the revocation was written");
            Assert.That(clock.Elapsed, Is.LessThan(EndWithin));
            foreach (var ssh in sessions)
            {
                Assert.That(ssh.ExitCode, Is.EqualTo(255), ssh.StandardError);
                Assert.That(ssh.StandardError, Does.Contain($"hoopproxy ended the session: token '{jti}' has been revoked"));
            }
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
        }
    }

    [Test]
    public async Task A_command_waiting_for_approval_is_withdrawn_when_its_session_is_revoked()
    {
        // The relay ends as for any disconnect, so what it holds is let go: the request leaves the approvers' queue at
        // once instead of waiting there for its five-minute timeout, and the command never runs.
        var jti = Guid.NewGuid().ToString("N");
        var marker = HeldMarker + jti;
        using var ssh = LiveSsh.Start(PasswordArguments(TokenUser, "password", $"touch {marker}"),
            await AskpassEnvironmentAsync(_idp.Mint(_idp.Rsa, c => c["jti"] = jti)));
        bool Pending() => _broker.PendingRequests.Any(r => r.Statement.Contains(marker, StringComparison.Ordinal));
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(Pending()), TimeSpan.FromSeconds(30)), Is.True, "the command is held for approval");

        var elapsed = await RevokeAndTimeExitAsync(ssh, "tokenIds", jti);
        Assert.That(ssh.StandardError, Does.Contain($"hoopproxy ended the session: token '{jti}' has been revoked"));
        Assert.That(elapsed, Is.LessThan(EndWithin));
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(!Pending()), TimeSpan.FromSeconds(10)), Is.True, "the request is still waiting for an approver");
        // The throwaway sshd runs on this machine: its /tmp is ours.
        Assert.That(File.Exists(marker), Is.False, "the held command ran");
    }

    [Test]
    public async Task A_key_session_ends_within_a_second_of_its_key_being_revoked_and_the_key_is_refused_after()
    {
        var fingerprint = SshPrivateKeyFile.Load(_bobKey).PublicKey.Fingerprint;
        var before = SessionIds();
        using var ssh = LiveSsh.Start(KeyArguments("echo started; sleep 60"), new Dictionary<string, string>());
        await ssh.WaitForOutputAsync("started");

        var elapsed = await RevokeAndTimeExitAsync(ssh, "keyFingerprints", fingerprint);
        Assert.That(ssh.ExitCode, Is.EqualTo(255), ssh.StandardError);
        Assert.That(ssh.StandardError, Does.Contain($"hoopproxy ended the session: key {fingerprint} has been revoked"));
        Assert.That(elapsed, Is.LessThan(EndWithin));

        var session = await SingleNewSealedSessionAsync(before);
        await _audit.FlushAsync();
        var ended = AuditLines().Single(l => Text(l["session_id"]) == session.SessionId && Text(l["type"]) == "revocation");
        Assert.That((Text(ended["action"]), Text(ended["credential_id"]), Text(ended["user"]!["name"]), Text(ended["details"]!["kind"])),
            Is.EqualTo(("revoked", fingerprint, KeyUser, "keyFingerprints")));

        var again = await ExternalProcess.RunAsync("ssh", KeyArguments("echo should-not-run"), standardInput: "", timeout: TimeSpan.FromSeconds(60));
        Assert.That(again.ExitCode, Is.EqualTo(255));
        Assert.That(again.StandardError, Does.Contain($"hoopproxy: key {fingerprint} has been revoked"));
        Assert.That(again.StandardOutput, Does.Not.Contain("should-not-run"));
    }

    [Test]
    public async Task A_token_session_ends_when_its_token_expires()
    {
        // exp is whole seconds: the session ends at that second, up to a second before now + 6 s.
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(6);
        var token = _idp.Mint(_idp.Rsa, c => c["exp"] = TestIdentityProvider.Unix(expiresAt));
        var expiry = DateTimeOffset.FromUnixTimeSeconds(TestIdentityProvider.Unix(expiresAt));
        var before = SessionIds();
        using var ssh = LiveSsh.Start(PasswordArguments(TokenUser, "keyboard-interactive", "echo started; sleep 60"), await AskpassEnvironmentAsync(token));
        await ssh.WaitForOutputAsync("started");
        Assert.That(DateTimeOffset.UtcNow, Is.LessThan(expiry), "the login took so long that the token expired first; the test proves nothing");

        Assert.That(await ssh.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.True, "ssh still runs long after the token expired");
        var late = DateTimeOffset.UtcNow - expiry;
        await TestContext.Out.WriteLineAsync($"ssh ended {late.TotalMilliseconds:0} ms after the token's exp");
        Assert.That(late, Is.GreaterThan(TimeSpan.Zero).And.LessThan(EndWithin), "ended at the expiry, not before and not long after");
        Assert.That(ssh.ExitCode, Is.EqualTo(255), ssh.StandardError);
        Assert.That(ssh.StandardError, Does.Contain($"hoopproxy ended the session: the session's token expired at {expiry.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}"));

        var session = await SingleNewSealedSessionAsync(before);
        var ending = _store.OpenSession(session.SessionId).ReadRecords().Single(r => r.EventType == "revocation");
        Assert.That((Text(ending.Fields!["cause"]), Text(ending.Fields["kind"])), Is.EqualTo(("expired", (string?)null)));
        await _audit.FlushAsync();
        Assert.That(AuditLines().Single(l => Text(l["session_id"]) == session.SessionId && Text(l["type"]) == "revocation")["action"]!.GetValue<string>(),
            Is.EqualTo("expired"));
    }

    // ---- keyboard-interactive on the wire -------------------------------------------------------------------------

    private async Task<RawSshClient> ConnectRawAsync()
    {
        var client = await RawSshClient.ConnectAsync(_proxy.Port, _proxy.HostKeyFingerprint);
        await client.RequestUserAuthServiceAsync();
        return client;
    }

    private static Task<byte[]> AskAsync(RawSshClient client, string user) =>
        client.AuthenticateAsync(user, new KeyboardInteractiveAuthMethod());

    private static Task AnswerAsync(RawSshClient client, params string[] answers) =>
        client.SendAsync(MessageBytes.Of(new UserAuthInfoResponse(answers).WriteTo));

    [Test]
    public async Task Keyboard_interactive_asks_one_hidden_prompt_and_judges_the_answer_as_a_password()
    {
        await using var client = await ConnectRawAsync();
        var question = UserAuthInfoRequest.Parse(await AskAsync(client, SshProxyInstance.UserName));
        Assert.That(question, Is.EqualTo(new UserAuthInfoRequest("", "", [new KeyboardPrompt("Access token (or password): ", Echo: false)])));

        await AnswerAsync(client, "not-" + SshProxyInstance.UserPassword);
        var failure = await client.ReceiveAsync();
        Assert.That(UserAuthFailure.Parse(failure), Is.EqualTo(new UserAuthFailure(["publickey", "password", "keyboard-interactive"])));

        UserAuthInfoRequest.Parse(await AskAsync(client, SshProxyInstance.UserName));
        await AnswerAsync(client, SshProxyInstance.UserPassword);
        Assert.That((await client.ReceiveAsync())[0], Is.EqualTo((byte)SshMessageNumber.UserAuthSuccess));
    }

    [Test]
    public async Task A_refused_token_gets_a_banner_before_each_failure_and_counts_toward_MaxAuthAttempts()
    {
        await using var client = await ConnectRawAsync();
        var forged = new UserAuthRequest(TokenUser, ServiceRequest.Connection, new PasswordAuthMethod(_idp.MintUnsigned()));
        for (var attempt = 1; attempt < _proxy.Options.MaxAuthAttempts; attempt++)
        {
            await client.SendAsync(MessageBytes.Of(forged.WriteTo));
            var banner = UserAuthBanner.Parse(await client.ReceiveAsync());
            Assert.That(banner.Message, Is.EqualTo("hoopproxy: the token's signing algorithm 'none' is not accepted\r\n"));
            Assert.That((await client.ReceiveAsync())[0], Is.EqualTo((byte)SshMessageNumber.UserAuthFailure), $"attempt {attempt}");
        }

        await client.SendAsync(MessageBytes.Of(forged.WriteTo));
        Assert.That((await client.ReceiveAsync())[0], Is.EqualTo((byte)SshMessageNumber.UserAuthBanner), "the last refusal is explained too");
        var disconnect = await client.ReceiveDisconnectAsync();
        Assert.That(disconnect.Reason, Is.EqualTo(SshDisconnectReason.NoMoreAuthMethodsAvailable));
        Assert.That(disconnect.Description, Does.Contain($"too many authentication failures ({_proxy.Options.MaxAuthAttempts})"));
    }

    [Test]
    public async Task A_new_request_instead_of_the_answer_abandons_the_prompt_without_counting_as_a_failure()
    {
        await using var client = await ConnectRawAsync();
        UserAuthInfoRequest.Parse(await AskAsync(client, SshProxyInstance.UserName));
        for (var i = 0; i < _proxy.Options.MaxAuthAttempts; i++)
        {
            // Each new keyboard-interactive request replaces the unanswered one: a new prompt, no failure.
            UserAuthInfoRequest.Parse(await AskAsync(client, SshProxyInstance.UserName));
        }

        var answer = await client.AuthenticateAsync(SshProxyInstance.UserName, new PasswordAuthMethod(SshProxyInstance.UserPassword));
        Assert.That(answer[0], Is.EqualTo((byte)SshMessageNumber.UserAuthSuccess));
    }

    [Test]
    public async Task An_answer_to_a_prompt_that_was_not_asked_ends_the_connection_as_a_protocol_error()
    {
        await using var client = await ConnectRawAsync();
        UserAuthInfoRequest.Parse(await AskAsync(client, SshProxyInstance.UserName));
        await AnswerAsync(client, SshProxyInstance.UserPassword, "a second answer");
        var disconnect = await client.ReceiveDisconnectAsync();
        Assert.That(disconnect.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
        Assert.That(disconnect.Description, Does.Contain("2 responses to 1 prompt"));
    }

    [Test]
    public async Task Another_message_instead_of_the_answer_ends_the_connection_as_a_protocol_error()
    {
        await using var client = await ConnectRawAsync();
        UserAuthInfoRequest.Parse(await AskAsync(client, SshProxyInstance.UserName));
        await client.SendAsync(MessageBytes.Of(new GlobalRequest(GlobalRequest.KeepAliveOpenSshName, true).WriteTo));
        var disconnect = await client.ReceiveDisconnectAsync();
        Assert.That(disconnect.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
        Assert.That(disconnect.Description, Does.Contain("expected SSH_MSG_USERAUTH_INFO_RESPONSE").And.Contain("got message 80"));
    }

    [Test]
    public async Task An_unprompted_info_response_ends_the_connection_as_a_protocol_error()
    {
        await using var client = await ConnectRawAsync();
        await AnswerAsync(client, SshProxyInstance.UserPassword);
        var disconnect = await client.ReceiveDisconnectAsync();
        Assert.That(disconnect.Reason, Is.EqualTo(SshDisconnectReason.ProtocolError));
        Assert.That(disconnect.Description, Does.Contain("expected SSH_MSG_USERAUTH_REQUEST, got message 61"));
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private string Port => _proxy.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// ssh with one secret typed by an askpass program, by <paramref name="method"/> only. LogLevel INFO (ssh's default):
    /// below it ssh does not print banners, and the refusals are banners.
    /// </summary>
    private IReadOnlyList<string> PasswordArguments(string login, string method, string command) =>
    [
        "-p", Port, "-o", $"PreferredAuthentications={method}", "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=INFO", "-l", login, "127.0.0.1", command,
    ];

    private IReadOnlyList<string> KeyArguments(string command) =>
    [
        "-p", Port, "-i", _bobKey, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=INFO", "-l", KeyUser, "127.0.0.1", command,
    ];

    private async Task<Dictionary<string, string>> AskpassEnvironmentAsync(string secret)
    {
        var askpass = Path.Combine(_auditDirectory, $"askpass-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(askpass, $"#!/bin/sh\nprintf '%s\\n' {ShellQuoting.Quote(secret)}\n");
        await ExternalProcess.RunCheckedAsync("chmod", ["500", askpass]);
        return new Dictionary<string, string> { ["SSH_ASKPASS"] = askpass, ["SSH_ASKPASS_REQUIRE"] = "force", ["DISPLAY"] = ":0" };
    }

    private async Task<ExternalProcess.Result> SshWithSecretAsync(string login, string secret, string method, string command) =>
        await ExternalProcess.RunAsync("ssh", PasswordArguments(login, method, command), await AskpassEnvironmentAsync(secret), standardInput: "",
            timeout: TimeSpan.FromSeconds(60));

    /// <summary>Adds an entry to the revocation file (all earlier ones kept), replacing the file in one rename as a careful operator would.</summary>
    private void Revoke(string list, string value)
    {
        lock (_revocationGate)
        {
            _revoked[list].Add(value);
            var json = new JsonObject();
            foreach (var (name, values) in _revoked)
            {
                json[name] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
            }

            var temporary = RevocationFile + ".tmp";
            File.WriteAllText(temporary, json.ToJsonString());
            File.Move(temporary, RevocationFile, overwrite: true);
        }
    }

    private async Task RevokeAndWaitAsync(string list, string value)
    {
        Revoke(list, value);
        Assert.That(await Poll.UntilAsync(() => Task.FromResult(_revocations.Current.Entries.Any(e => e.Value == value)), TimeSpan.FromSeconds(10)),
            Is.True, $"the revocation list did not take {value}: {_revocations.LastError}");
    }

    /// <summary>Revokes, and measures from the file's replacement to ssh's exit (which must come).</summary>
    private async Task<TimeSpan> RevokeAndTimeExitAsync(LiveSsh ssh, string list, string value)
    {
        var clock = Stopwatch.StartNew();
        Revoke(list, value);
        Assert.That(await ssh.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.True, "ssh still runs 20 s after its credential was revoked");
        var elapsed = clock.Elapsed;
        await TestContext.Out.WriteLineAsync($"ssh ended {elapsed.TotalMilliseconds:0} ms after {value} was written to the revocation file");
        return elapsed;
    }

    private HashSet<string> SessionIds() => _store.ListSessions().Select(s => s.SessionId).ToHashSet();

    private async Task<SessionSummary> SingleNewSealedSessionAsync(HashSet<string> before)
    {
        List<SessionSummary> sessions = [];
        var sealedInTime = await Poll.UntilAsync(() =>
        {
            sessions = _store.ListSessions().Where(s => !before.Contains(s.SessionId)).ToList();
            return Task.FromResult(sessions.Count >= 1 && sessions.All(s => s.State == SessionState.Sealed));
        }, TimeSpan.FromSeconds(20));
        Assert.That(sealedInTime, Is.True, "sessions: " + string.Join(", ", sessions.Select(s => $"{s.SessionId} {s.State}")));
        return sessions.Single();
    }

    /// <summary>Runs one connection and returns its result with the (sealed) recording it made.</summary>
    private async Task<(ExternalProcess.Result Ssh, SessionSummary Session)> RunInNewSessionAsync(Func<Task<ExternalProcess.Result>> run)
    {
        var before = SessionIds();
        var result = await run();
        return (result, await SingleNewSealedSessionAsync(before));
    }

    private List<JsonObject> AuditLines() => [.. File.ReadAllLines(AuditFile).Select(l => JsonNode.Parse(l)!.AsObject())];

    /// <summary>Neither the audit trail nor the session's recording holds the token, nor its signature alone.</summary>
    private void AssertTokenNowhere(string token, SessionSummary session)
    {
        var signature = token[(token.LastIndexOf('.') + 1)..];
        var audit = File.ReadAllText(AuditFile);
        var recording = Encoding.UTF8.GetString(File.ReadAllBytes(_recordings.SessionPath(session.SessionId)));
        Assert.That(audit, Does.Not.Contain(token));
        Assert.That(recording, Does.Not.Contain(token));
        if (signature.Length > 0)
        {
            Assert.That(audit + recording, Does.Not.Contain(signature));
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString();
}
