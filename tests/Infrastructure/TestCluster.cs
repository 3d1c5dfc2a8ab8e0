using HoopProxy.Host.Demo;
using NUnit.Framework;

// In the root namespace: NUnit runs a SetUpFixture for the tests of its namespace and below, so this one covers all.

namespace HoopProxy.Tests;

/// <summary>
/// One real PostgreSQL cluster for the whole test run (initdb in a temporary folder, free port,
/// password_encryption scram-sha-256). The role "app" owns the database "bank"; tests that need
/// their own objects create them with unique names.
/// </summary>
[SetUpFixture]
public sealed class TestCluster
{
    public const string TargetUser = "app";
    public const string TargetPassword = "app-secret";
    public const string TargetDatabase = "bank";

    private static LocalPostgresCluster? _cluster;

    public static LocalPostgresCluster Postgres => _cluster ?? throw new InvalidOperationException("the test cluster is not running");

    /// <summary>Straight to the server as the target's account, bypassing the proxy: for setting up and checking what a test did.</summary>
    public static string DirectConnectionString() => new Npgsql.NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Postgres.Port,
        Username = TargetUser,
        Password = TargetPassword,
        Database = TargetDatabase,
        Pooling = false,
    }.ConnectionString;

    /// <summary>Whether a table exists on the server, asked directly (not through a proxy).</summary>
    public static async Task<bool> TableExistsAsync(string name)
    {
        await using var direct = new Npgsql.NpgsqlConnection(DirectConnectionString());
        await direct.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", direct);
        command.Parameters.AddWithValue(name);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Drops a table a test made, directly on the server.</summary>
    public static async Task DropTableAsync(string name)
    {
        await using var direct = new Npgsql.NpgsqlConnection(DirectConnectionString());
        await direct.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"DROP TABLE IF EXISTS {name}", direct);
        await command.ExecuteNonQueryAsync();
    }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _cluster = await LocalPostgresCluster.StartAsync();
        await _cluster.CreateRoleAndDatabaseAsync(TargetUser, TargetPassword, TargetDatabase);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
