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

    private static byte[] Sync() => RawPostgresClient.Message('S', []);

    /// <summary>Everything up to and including the next ReadyForQuery.</summary>
    private static async Task<List<RawMessage>> UntilReadyAsync(RawPostgresClient client)
    {
        var received = new List<RawMessage>();
        RawMessage message;
        do
        {
            message = await client.ReadMessageAsync() ?? throw new InvalidDataException("the proxy closed the connection");
            received.Add(message);
        }
        while (message.Code != (byte)'Z');
        return received;
    }

    private static string Everything(IEnumerable<RawMessage> received) => Encoding.UTF8.GetString(received.SelectMany(m => m.Body).ToArray());

    private static async Task<RawPostgresClient> LoginAsync(ProxyInstance proxy)
    {
        var client = await RawPostgresClient.ConnectAsync(proxy.Port);
        await client.LoginAsync(ProxyInstance.UserName, ProxyInstance.UserPassword, TestCluster.TargetDatabase);
        return client;
    }

    [Test]
    public async Task A_cursor_declared_under_the_name_of_a_described_portal_does_not_inherit_its_description()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        await using var client = await LoginAsync(proxy);
        await client.SendAsync(new[] { RawPostgresClient.Query("BEGIN") }.SelectMany(m => m).ToArray());
        await UntilReadyAsync(client);
        // A portal "c" described as one int column, run, and closed by the server when the cursor below takes its name.
        await client.SendAsync(new[] { Parse("s1", "SELECT 1::int4"), Bind("c", "s1", 0), Describe('P', "c"), Execute("c", 0), Sync() }.SelectMany(m => m).ToArray());
        await UntilReadyAsync(client);
        await client.SendAsync(RawPostgresClient.Query("CLOSE c; DECLARE c CURSOR FOR SELECT ssn FROM customers"));
        await UntilReadyAsync(client);
        await client.SendAsync(new[] { Execute("c", 0), Sync() }.SelectMany(m => m).ToArray());
        var received = await UntilReadyAsync(client);

        Assert.That(Everything(received), Does.Not.Contain(Ssn).And.Not.Contain(OtherSsn));
        var error = received.Single(m => m.Code == (byte)'E').ErrorFields();
        Assert.That(error['H'], Does.Contain("withheld"), "rows under a name whose description the proxy no longer trusts are withheld");
    }

    [Test]
    public async Task A_statement_described_before_its_cursor_existed_gets_no_rows_through()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        await using var client = await LoginAsync(proxy);
        await client.SendAsync(new[] { RawPostgresClient.Query("BEGIN; DECLARE c CURSOR FOR SELECT 1") }.SelectMany(m => m).ToArray());
        await UntilReadyAsync(client);
        await client.SendAsync(new[] { Parse("f", "FETCH ALL FROM c"), Describe('S', "f"), Sync() }.SelectMany(m => m).ToArray());
        await UntilReadyAsync(client);
        await client.SendAsync(RawPostgresClient.Query("CLOSE c; DECLARE c CURSOR FOR SELECT ssn, email FROM customers"));
        await UntilReadyAsync(client);
        await client.SendAsync(new[] { Bind("", "f", 0), Execute("", 0), Sync() }.SelectMany(m => m).ToArray());
        var received = await UntilReadyAsync(client);

        Assert.That(Everything(received), Does.Not.Contain(Ssn).And.Not.Contain(Email));
        Assert.That(received.Any(m => m.Code == (byte)'E'), Is.True, "FETCH's description is that of a cursor that changed: its rows are withheld");
    }

    [Test]
    public async Task Syncs_ignored_during_an_extended_copy_from_stdin_do_not_put_the_pairing_out_of_step()
    {
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules));
        await using var client = await LoginAsync(proxy);
        await client.SendAsync(RawPostgresClient.Query("CREATE TEMP TABLE landing (t text)"));
        await UntilReadyAsync(client);

        // What libpq's PQexecParams + PQputCopyData + PQputCopyEnd send: a Sync right after the Execute (ignored by
        // the server while it copies) and another after CopyDone.
        await client.SendAsync(new[] { Parse("", "COPY landing FROM STDIN"), Bind("", "", 0), Execute("", 0), Sync() }.SelectMany(m => m).ToArray());
        await client.ExpectAsync('G');
        await client.SendAsync(new[] { RawPostgresClient.Message('d', Encoding.UTF8.GetBytes("hello\n")), RawPostgresClient.Message('c', []), Sync() }
            .SelectMany(m => m).ToArray());
        var copied = await UntilReadyAsync(client);
        Assert.That(copied.Count(m => m.Code == (byte)'Z'), Is.EqualTo(1));

        // A prepared statement run the way Npgsql runs one: described once, then Bind/Execute/Sync without a description.
        await client.SendAsync(new[] { Parse("s2", "SELECT ssn FROM customers ORDER BY id"), Describe('S', "s2"), Sync() }.SelectMany(m => m).ToArray());
        await UntilReadyAsync(client);
        await client.SendAsync(new[] { Bind("", "s2", 1), Execute("", 0), Sync() }.SelectMany(m => m).ToArray());
        var rows = await UntilReadyAsync(client);

        Assert.That(rows.Where(m => m.Code == (byte)'D').Select(Values).Select(v => v[0]), Is.EqualTo(new[] { "***-**-8726", "***-**-4421" }));
    }

    [Test]
    public async Task A_notice_while_an_answer_is_withheld_is_masked_and_the_session_goes_on()
    {
        await using var proxy = await ProxyInstance.StartAsync(
            o => o with { Limits = o.Limits with { Pipes = new HoopProxy.Core.Networking.PipeSettings { PauseThreshold = 64 * 1024, ResumeThreshold = 32 * 1024 } } },
            masking: Load(IssueRules));
        await using var client = await LoginAsync(proxy);
        await client.SendAsync(RawPostgresClient.Query(
            "SELECT repeat('x', 200000) || ssn FROM customers; DO $$ BEGIN RAISE NOTICE 'n=%', (SELECT ssn FROM customers WHERE id = 1); END $$"));
        var received = await UntilReadyAsync(client);

        Assert.That(Everything(received), Does.Not.Contain(Ssn).And.Not.Contain(OtherSsn));
        Assert.That(received.Single(m => m.Code == (byte)'E').ErrorFields()['C'], Is.EqualTo("54000"));
        Assert.That(received.Single(m => m.Code == (byte)'N').ErrorFields()['M'], Is.EqualTo("n=***-**-8726".Replace("***-**-8726", "[REDACTED:us-ssn]")));
        await client.SendAsync(RawPostgresClient.Query("SELECT ssn FROM customers WHERE id = 2"));
        var after = await UntilReadyAsync(client);
        Assert.That(Values(after.Single(m => m.Code == (byte)'D'))[0], Is.EqualTo("***-**-4421"));
    }

    [Test]
    public async Task Column_names_settings_partitions_foreign_keys_and_data_errors_do_not_carry_values_out()
    {
        await using (var direct = new Npgsql.NpgsqlConnection(TestCluster.DirectConnectionString()))
        {
            await direct.OpenAsync();
            await using var setup = new Npgsql.NpgsqlCommand("""
                DROP TABLE IF EXISTS public.orders, public.people;
                CREATE TABLE public.people (ssn text PRIMARY KEY) PARTITION BY HASH (ssn);
                CREATE TABLE public.people_eu PARTITION OF public.people FOR VALUES WITH (MODULUS 1, REMAINDER 0);
                INSERT INTO public.people SELECT ssn FROM public.customers;
                CREATE TABLE public.orders (id int, person_ssn text REFERENCES public.people (ssn));
                """, direct);
            await setup.ExecuteNonQueryAsync();
        }

        const string rules = """
            { "Masking": [ { "Name": "people", "Columns": [ "public.people.ssn", "public.customers.email" ], "Operator": "Partial", "Keep": 4 },
                           { "Name": "detect", "Detectors": [ "us-ssn" ] } ] }
            """;
        await using var proxy = await ProxyInstance.StartAsync(masking: Load(rules));
        await using var client = await LoginAsync(proxy);
        var script = new[]
        {
            "SELECT ssn FROM people_eu ORDER BY ssn",
            "SELECT set_config('application_name', (SELECT ssn FROM customers WHERE id = 1), false)",
            "DO $$ BEGIN EXECUTE format('CREATE TEMP VIEW v AS SELECT 1 AS %I', (SELECT ssn FROM customers WHERE id = 1)); END $$",
            "SELECT * FROM v",
            "INSERT INTO orders SELECT 1, ssn || '0' FROM customers WHERE id = 1",
            "SELECT email::int FROM customers WHERE id = 1",
        };
        var received = new List<RawMessage>();
        foreach (var sql in script)
        {
            await client.SendAsync(RawPostgresClient.Query(sql));
            received.AddRange(await UntilReadyAsync(client));
        }

        var everything = Everything(received);
        foreach (var value in new[] { Ssn, OtherSsn, Email })
        {
            Assert.That(everything, Does.Not.Contain(value));
        }

        Assert.That(received.Where(m => m.Code == (byte)'D').Select(Values).First(), Is.EqualTo(new[] { "***-**-4421" }), "a partition's column answers to the partitioned table's rule");
        var errors = received.Where(m => m.Code == (byte)'E').Select(m => m.ErrorFields()).ToList();
        Assert.That(errors.Single(e => e['C'] == "23503")['D'], Does.StartWith("Key (person_ssn)=(").And.Contain("*"), "the foreign key's value is masked by the referenced table's rule");
        Assert.That(errors.Single(e => e['C'] == "22P02")['M'], Is.EqualTo("invalid input syntax for type integer: \"[REDACTED]\""));
    }
}
