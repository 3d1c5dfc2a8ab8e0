using HoopProxy.Core.Audit;
using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Audit;

public sealed class AuditOptionsTests
{
    private AuditFixture _fixture = null!;

    [SetUp]
    public void SetUp() => _fixture = new AuditFixture();

    [TearDown]
    public void TearDown() => _fixture.Dispose();

    private AuditOptions? Read(Dictionary<string, string?> values) =>
        AuditOptions.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Audit"), _fixture.Root);

    [Test]
    public void Every_key_is_read_and_paths_are_relative_to_the_configuration()
    {
        var options = Read(new()
        {
            ["Audit:File"] = "logs/audit.jsonl",
            ["Audit:SigningKeyFile"] = "audit.key",
            ["Audit:CheckpointInterval"] = "00:00:30",
            ["Audit:CheckpointEvents"] = "500",
            ["Audit:FailClosed"] = "false",
            ["Audit:QueueCapacity"] = "64",
            ["Audit:WriteTimeout"] = "00:00:02",
        });

        Assert.That(options, Is.EqualTo(new AuditOptions(Path.Combine(_fixture.Root, "logs/audit.jsonl"), _fixture.KeyFile, TimeSpan.FromSeconds(30), 500, false, 64, TimeSpan.FromSeconds(2))));
    }

    [Test]
    public void Defaults_fail_closed_and_checkpoint_every_minute()
    {
        var options = Read(new() { ["Audit:File"] = "audit.jsonl", ["Audit:SigningKeyFile"] = "audit.key" })!;

        Assert.That((options.CheckpointInterval, options.CheckpointEvents, options.FailClosed, options.QueueCapacity, options.WriteTimeout),
            Is.EqualTo((TimeSpan.FromMinutes(1), 1000, true, 4096, TimeSpan.FromSeconds(5))));
    }

    [Test]
    public void Without_the_section_there_is_no_audit_trail() =>
        Assert.That(Read(new() { ["Recording:Directory"] = "x" }), Is.Null);

    [TestCase("Audit:CheckpointIntervall", "00:01:00", "Audit:CheckpointIntervall: is not a known key here")]
    [TestCase("Audit:CheckpointInterval", "soon", "Audit:CheckpointInterval: 'soon' is not a duration")]
    [TestCase("Audit:CheckpointEvents", "0", "Audit:CheckpointEvents: '0' is not a whole number from 1")]
    [TestCase("Audit:SigningKeyFile", "missing.key", "Audit:SigningKeyFile: file '")]
    public void A_bad_value_names_its_key(string key, string value, string message)
    {
        var values = new Dictionary<string, string?> { ["Audit:File"] = "audit.jsonl", ["Audit:SigningKeyFile"] = "audit.key", [key] = value };

        var error = Assert.Throws<ConfigurationException>(() => Read(values));

        Assert.That(error!.Message, Does.StartWith(message));
    }

    [Test]
    public void The_file_is_required() =>
        Assert.That(Assert.Throws<ConfigurationException>(() => Read(new() { ["Audit:SigningKeyFile"] = "audit.key" }))!.Message, Does.StartWith("Audit:File: is required"));
}
