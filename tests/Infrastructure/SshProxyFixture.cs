using HoopProxy.Host.Demo;
using NUnit.Framework;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// A fixture with its own throwaway sshd and an SSH proxy in front of it (<see cref="SshProxyInstance"/>), shared by
/// the fixture's tests and stopped after them.
/// </summary>
public abstract class SshProxyFixture
{
    protected LocalSshd Sshd { get; private set; } = null!;

    protected SshProxyInstance Proxy { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartSshdAndProxyAsync()
    {
        Sshd = await LocalSshd.StartAsync();
        Proxy = await SshProxyInstance.StartAsync(Sshd);
    }

    [OneTimeTearDown]
    public async Task StopSshdAndProxyAsync()
    {
        await Proxy.DisposeAsync();
        await Sshd.DisposeAsync();
    }
}
