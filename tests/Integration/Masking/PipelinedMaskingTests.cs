using System.Buffers.Binary;
using System.Text;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using NUnit.Framework;
using static HoopProxy.Tests.Integration.Masking.MaskingFixture;

namespace HoopProxy.Tests.Integration.Masking;

/// <summary>
/// The extended protocol at the byte level: everything pipelined before one Sync, portals run in pieces, a statement
/// described once and bound with other formats — the masking must follow which description applies to which rows.
/// </summary>
[TestFixture]
public sealed class PipelinedMaskingTests
{
    [SetUp]
    public Task SetUpAsync() => ResetAsync();

    private static byte[] Parse(string name, string sql) =>
        RawPostgresClient.Message('P', [.. Encoding.UTF8.GetBytes(name + "\0" + sql + "\0"), 0, 0]);

    private static byte[] Describe(char kind, string name) => RawPostgresClient.Message('D', [(byte)kind, .. Encoding.UTF8.GetBytes(name + "\0")]);

    private static byte[] Bind(string portal, string statement, short resultFormat)
    {
        var names = Encoding.UTF8.GetBytes(portal + "\0" + statement + "\0");
        var body = new byte[names.Length + 2 + 2 + 2 + 2];
        names.CopyTo(body, 0);
        // no parameter formats, no parameters, one result format for all columns
        BinaryPrimitives.WriteInt16BigEndian(body.AsSpan(names.Length + 4), 1);
        BinaryPrimitives.WriteInt16BigEndian(body.AsSpan(names.Length + 6), resultFormat);
        return RawPostgresClient.Message('B', body);
    }

    private static byte[] Execute(string portal, int maxRows)
    {
        var name = Encoding.UTF8.GetBytes(portal + "\0");
        var body = new byte[name.Length + 4];
        name.CopyTo(body, 0);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(name.Length), maxRows);
        return RawPostgresClient.Message('E', body);
    }

    private static List<string?> Values(RawMessage row)
    {
        var values = new List<string?>();
        var count = BinaryPrimitives.ReadInt16BigEndian(row.Body);
        var position = 2;
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(row.Body.AsSpan(position));
            position += 4;
            values.Add(length < 0 ? null : Encoding.UTF8.GetString(row.Body, position, length));
            position += Math.Max(length, 0);
        }

        return values;
    }

    [Test]
    public async Task Pipelined_describes_binds_and_partial_executes_are_all_masked()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        await using var client = await RawPostgresClient.ConnectAsync(proxy.Port);
        await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);

        // One write: the server answers in order while the proxy sees every request before any answer.
        await client.SendAsync(new[]
        {
            Parse("s1", "SELECT ssn, email FROM customers ORDER BY id"),
            Describe('S', "s1"),
            Bind("p1", "s1", 0),
            Execute("p1", 1),
            Execute("p1", 1),
            Bind("", "s1", 1),
            Execute("", 0),
            Parse("", "SELECT notes AS n FROM customers WHERE id = 1"),
            Bind("", "", 1),
            Describe('P', ""),
            Execute("", 0),
            RawPostgresClient.Message('S', []),
        }.SelectMany(m => m).ToArray());

        var received = new List<RawMessage>();
        RawMessage message;
        do
        {
            message = (await client.ReadMessageAsync())!;
            received.Add(message);
        }
        while (message.Code != (byte)'Z');

        Assert.That(string.Concat(received.Select(m => (char)m.Code)), Is.EqualTo("1tT2DsDs2DDC1" + "2TDCZ"),
            "ParseComplete, the statement's description, two pieces of p1, the unnamed portal's two rows, then the second statement");
        var rows = received.Where(m => m.Code == (byte)'D').Select(Values).ToList();
        Assert.That(rows[0], Is.EqualTo(new[] { "***-**-8726", "[REDACTED:email]" }), "text format, first piece of p1");
        Assert.That(rows[1], Is.EqualTo(new[] { "***-**-4421", "[REDACTED:email]" }), "text format, second piece of p1 (no new description)");
        Assert.That(rows[2], Is.EqualTo(new[] { "***-**-8726", "[REDACTED:email]" }), "binary format, same statement bound again");
        Assert.That(rows[4], Is.EqualTo(new[] { "called from [REDACTED:phone] about card [REDACTED:payment-card]" }), "a described portal");
        var everything = Encoding.UTF8.GetString(received.SelectMany(m => m.Body).ToArray());
        foreach (var value in SensitiveValues)
        {
            Assert.That(everything, Does.Not.Contain(value));
        }
    }

    [Test]
    public async Task Psql_large_object_export_refuses_a_function_result_with_an_ssn_and_passes_one_without()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        var folder = Directory.CreateTempSubdirectory("hoopproxy-lo-");
        try
        {
            await using var direct = new Npgsql.NpgsqlConnection(TestCluster.DirectConnectionString());
            await direct.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand(
                "SELECT lo_from_bytea(0, convert_to('ssn ' || (SELECT ssn FROM customers WHERE id = 1), 'UTF8')), lo_from_bytea(0, convert_to('nothing here', 'UTF8'))",
                direct);
            uint secret, plain;
            await using (var reader = await create.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                (secret, plain) = (reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(1));
            }

            // psql's \lo_export reads with lo_read, a FunctionCall (binary result).
            var secretFile = Path.Combine(folder.FullName, "secret.txt");
            var plainFile = Path.Combine(folder.FullName, "plain.txt");
            var psql = await ExternalProcess.RunAsync("psql", ["-X", "-c", $"\\lo_export {secret} {secretFile}", "-c", $"\\lo_export {plain} {plainFile}"],
                proxy.LibpqEnvironment("bob", "bob-pw"));

            Assert.That(File.Exists(secretFile) ? File.ReadAllText(secretFile) : "", Does.Not.Contain(Ssn));
            Assert.That(psql.Combined, Does.Not.Contain(Ssn));
            Assert.That(File.ReadAllText(plainFile), Is.EqualTo("nothing here"), "a function result with nothing to mask passes: " + psql.Combined);

            await using var unlink = new Npgsql.NpgsqlCommand($"SELECT lo_unlink({secret}), lo_unlink({plain})", direct);
            await unlink.ExecuteNonQueryAsync();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
