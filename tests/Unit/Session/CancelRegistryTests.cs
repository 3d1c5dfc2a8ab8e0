using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Protocol.Backend;
using HoopProxy.Postgres.Session;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Session;

public sealed class CancelRegistryTests
{
    private static readonly PostgresTarget Target = new() { Name = "bank", Host = "127.0.0.1", Database = "bank", Username = "app" };

    [Test]
    public void A_registered_key_leads_to_the_upstream_key_and_nothing_else()
    {
        var registry = new CancelRegistry();
        var upstream = new BackendKeyData(4242, 99);
        var key = registry.Register(new CancelRoute(Target, upstream));

        Assert.That(registry.TryResolve(key.ProcessId, key.SecretKey, out var route), Is.True);
        Assert.That(route.UpstreamKey, Is.EqualTo(upstream));
        Assert.That(key, Is.Not.EqualTo(upstream), "clients never see the target's own key");
        Assert.That(registry.TryResolve(key.ProcessId, key.SecretKey ^ 1, out _), Is.False, "a wrong secret cancels nothing");
    }

    [Test]
    public void Keys_are_unique_and_forgotten_when_the_session_ends()
    {
        var registry = new CancelRegistry();
        var keys = Enumerable.Range(0, 2000).Select(i => registry.Register(new CancelRoute(Target, new BackendKeyData(i, i)))).ToList();
        Assert.That(keys.Select(k => k.ProcessId).Distinct().Count(), Is.EqualTo(keys.Count));
        Assert.That(keys.All(k => k.ProcessId > 0), Is.True, "process ids look like PostgreSQL's: positive");

        registry.Unregister(keys[0]);
        Assert.That(registry.TryResolve(keys[0].ProcessId, keys[0].SecretKey, out _), Is.False);
        Assert.That(registry.Count, Is.EqualTo(keys.Count - 1));
    }
}
