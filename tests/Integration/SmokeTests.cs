using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration;

public sealed class SmokeTests
{
    [Test]
    public async Task Npgsql_lands_in_the_target_database_as_the_target_user()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_user, current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True);
        Assert.That(reader.GetString(0), Is.EqualTo(TestCluster.TargetUser));
        Assert.That(reader.GetString(1), Is.EqualTo(TestCluster.TargetDatabase));
    }

    [Test]
    public async Task Psql_lands_in_the_target_database_as_the_target_user()
    {
        await using var proxy = await ProxyInstance.StartAsync();
        var result = await ExternalProcess.RunAsync("psql", ["-X", "-At", "-c", "SELECT current_user || '@' || current_database()"], proxy.LibpqEnvironment());
        Assert.That(result.ExitCode, Is.Zero, result.Combined);
        Assert.That(result.StandardOutput.Trim(), Is.EqualTo("app@bank"));
    }
}
