using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Ssh.Policy;
using HoopProxy.Tests.Unit.Recording;
using NUnit.Framework;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// A fixture with its own throwaway sshd and an SSH proxy in front of it that records every session into a store of
/// its own, and the way to read back what a test's connections recorded.
/// </summary>
public abstract class RecordedSshProxyFixture
{
    private RecordingFixture _recordings = null!;

    protected RecordingStore Store { get; private set; } = null!;

    /// <summary>Where the store keeps its files.</summary>
    protected string RecordingDirectory => _recordings.Options.Directory;

    protected LocalSshd Sshd { get; private set; } = null!;

    protected SshProxyInstance Proxy { get; private set; } = null!;

    /// <summary>The proxy's <c>SshPolicies</c> rules, made once the sshd runs (its port may be a destination); none by default.</summary>
    protected virtual Task<ChannelPolicy?> ChannelPolicyAsync(LocalSshd sshd) => Task.FromResult<ChannelPolicy?>(null);

    /// <summary>More sshd_config lines for the target (X11Forwarding, say); none by default.</summary>
    protected virtual IReadOnlyList<string>? SshdConfiguration => null;

    /// <summary>The approval broker the proxy files Review rules' requests with; none by default.</summary>
    protected virtual HoopProxy.Core.Approvals.ApprovalBroker? ApprovalBrokerForProxy() => null;

    /// <summary>The audit log the proxy writes its trail into; none by default.</summary>
    protected virtual Task<HoopProxy.Core.Audit.AuditLog?> OpenAuditLogAsync() => Task.FromResult<HoopProxy.Core.Audit.AuditLog?>(null);

    [OneTimeSetUp]
    public async Task StartRecordedProxyAsync()
    {
        _recordings = new RecordingFixture();
        Store = await _recordings.OpenAsync();
        Sshd = await LocalSshd.StartAsync(SshdConfiguration);
        Proxy = await SshProxyInstance.StartAsync(Sshd, recordings: Store, channels: await ChannelPolicyAsync(Sshd), approvals: ApprovalBrokerForProxy(),
            audit: await OpenAuditLogAsync());
    }

    [OneTimeTearDown]
    public async Task StopRecordedProxyAsync()
    {
        await Proxy.DisposeAsync();
        await Sshd.DisposeAsync();
        await Store.DisposeAsync();
        _recordings.Dispose();
    }

    /// <summary>Runs <paramref name="action"/> and waits for the sessions it started to be sealed; returns them.</summary>
    protected async Task<List<SessionSummary>> NewSealedSessionsAsync(Func<Task> action, int expected = 1)
    {
        var before = Store.ListSessions().Select(s => s.SessionId).ToHashSet();
        await action();
        List<SessionSummary> sessions = [];
        var sealedInTime = await Poll.UntilAsync(() =>
        {
            sessions = Store.ListSessions().Where(s => !before.Contains(s.SessionId)).ToList();
            return Task.FromResult(sessions.Count >= expected && sessions.All(s => s.State == SessionState.Sealed));
        }, TimeSpan.FromSeconds(20));
        Assert.That(sealedInTime, Is.True, "sessions: " + string.Join(", ", sessions.Select(s => $"{s.SessionId} {s.State}")));
        Assert.That(sessions, Has.Count.EqualTo(expected));
        return sessions;
    }

    protected List<SessionRecord> Records(SessionSummary session) => Store.OpenSession(session.SessionId).ReadRecords().ToList();

    /// <summary>The records of the one session <paramref name="action"/> starts, once it is sealed.</summary>
    protected async Task<List<SessionRecord>> RecordsOfNewSessionAsync(Func<Task> action) => Records((await NewSealedSessionsAsync(action)).Single());
}
