using System.Buffers.Binary;
using System.Text;
using HoopProxy.Core.Recording;
using HoopProxy.Host.Demo;
using HoopProxy.Tests.Infrastructure;
using HoopProxy.Tests.Unit.Recording;
using Npgsql;
using NUnit.Framework;
using static HoopProxy.Tests.Integration.Masking.MaskingFixture;

namespace HoopProxy.Tests.Integration.Masking;

/// <summary>
/// The masking issue's "no leak" test: known sensitive values are seeded, every query shape the issue names runs
/// through the proxy with psql (text format, simple protocol) and Npgsql (binary format, extended protocol, prepared
/// and unprepared), and every byte the client received (kept by a <see cref="ByteTap"/> between client and proxy),
/// everything psql printed, and every recorded file are searched for the values. The test's own SQL never contains a
/// sensitive value — values come from the table only — and the bytes the clients sent are checked for that too.
/// </summary>
[TestFixture]
public sealed class NoLeakTests
{
    /// <summary>The second number in the seeded phones array (E.164, masked by the phone detector).</summary>
    private const string ForeignPhone = "+49 30 1234567";

    private static readonly string[] AccountNumbers = [AccountNumber, "8765-4321-00"];

    /// <summary>The same SELECTs psql runs, for Npgsql (a whole row as an anonymous record, which Npgsql can read).</summary>
    private static readonly (string Label, string Sql, int Rows)[] Selects =
    [
        ("star", "SELECT * FROM customers ORDER BY id", 2),
        ("join", "SELECT c.name, c.ssn, a.number, a.balance FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id", 2),
        ("join-star", "SELECT * FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id", 2),
        ("alias", "SELECT ssn AS x, email AS y, notes AS z FROM customers ORDER BY id", 2),
        ("view", "SELECT * FROM customer_contacts ORDER BY id", 2),
        ("json", "SELECT profile->>'ssn' AS s, profile->'iban' AS i, profile->>'city' AS city, profile FROM customers WHERE id = 1", 1),
        ("json-each", "SELECT key, value FROM customers, jsonb_each_text(profile) WHERE id = 1 ORDER BY key", 3),
        ("array", "SELECT phones, unnest(phones) AS phone FROM customers WHERE id = 1", 2),
        ("array-text", "SELECT phones[1] AS p, array_to_string(phones, '; ') AS s FROM customers WHERE id = 1", 1),
        ("expression", "SELECT notes || ' x' AS n FROM customers ORDER BY id", 2),
        ("row", "SELECT ROW(c.*) AS r FROM customers c ORDER BY id", 2),
    ];

    private const string PsqlScript = """
        \echo @@star
        SELECT * FROM customers ORDER BY id;
        \echo @@join
        SELECT c.name, c.ssn, a.number, a.balance FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id;
        \echo @@join-star
        SELECT * FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id;
        \echo @@alias
        SELECT ssn AS x, email AS y, notes AS z FROM customers ORDER BY id;
        \echo @@view
        SELECT * FROM customer_contacts ORDER BY id;
        \echo @@json
        SELECT profile->>'ssn', profile->'iban', profile->>'city', profile FROM customers WHERE id = 1;
        \echo @@json-each
        SELECT key, value FROM customers, jsonb_each_text(profile) WHERE id = 1 ORDER BY key;
        \echo @@array
        SELECT phones, unnest(phones) FROM customers WHERE id = 1;
        \echo @@array-text
        SELECT phones[1], array_to_string(phones, '; ') FROM customers WHERE id = 1;
        \echo @@expression
        SELECT notes || ' x' FROM customers ORDER BY id;
        \echo @@row
        SELECT c FROM customers c ORDER BY id;
        \echo @@unique
        INSERT INTO customers (id, ssn) SELECT 9, ssn FROM customers WHERE id = 1;
        \echo @@cast
        SELECT email::int FROM customers WHERE id = 1;
        \echo @@notice
        DO $$ BEGIN RAISE NOTICE 'n=%', (SELECT ssn FROM customers WHERE id = 1); END $$;
        DO $$ DECLARE r customers; BEGIN SELECT * INTO r FROM customers WHERE id = 1; RAISE EXCEPTION 'e=%', r.email USING DETAIL = r.notes, HINT = r.profile::text; END $$;
        \echo @@notify
        LISTEN c;
        SELECT pg_notify('c', notes) FROM customers WHERE id = 1;
        \echo @@copy-text
        COPY customers TO STDOUT;
        \echo @@copy-csv
        COPY (SELECT ssn, notes FROM customers ORDER BY id) TO STDOUT WITH (FORMAT csv);
        \echo @@copy-binary
        COPY customers TO STDOUT WITH (FORMAT binary);
        \echo
        \echo @@prepare
        PREPARE p AS SELECT ssn, notes FROM customers ORDER BY id;
        EXECUTE p;
        \echo @@cursor
        BEGIN;
        DECLARE cur CURSOR FOR SELECT * FROM customers ORDER BY id;
        FETCH ALL cur;
        COMMIT;
        \echo @@end
        """;

    [SetUp]
    public Task SetUpAsync() => ResetAsync();

    [TestCase("alice", "alice-pw")]
    [TestCase("bob", "bob-pw")]
    public async Task No_seeded_value_reaches_the_client_or_the_recording_in_any_query_shape(string user, string password)
    {
        var analyst = user == ProxyInstance.UserName;
        var forbidden = Forbidden(analyst);
        using var fixture = new RecordingFixture();
        ExternalProcess.Result psql;
        byte[] fromServer;
        byte[] fromClient;
        List<byte[]> perConnection;
        var npgsqlSaw = new List<string>();
        var npgsqlFailures = new List<string>();
        string npgsqlPayload;
        await using (var store = await fixture.OpenAsync())
        {
            await using (var proxy = await ProxyInstance.StartAsync(masking: Load(IssueRules), recordings: store))
            await using (var tap = ByteTap.Start(proxy.Port))
            {
                var environment = proxy.LibpqEnvironment(user, password);
                environment["PGPORT"] = tap.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                environment["PGSSLMODE"] = "disable";
                environment["PGGSSENCMODE"] = "disable";
                psql = await ExternalProcess.RunAsync("psql", ["-X", "-q", "-A", "-t", "-F", "|", "-v", "VERBOSITY=verbose", "-f", "-"], environment, PsqlScript);

                var builder = new NpgsqlConnectionStringBuilder(proxy.ConnectionString(user, password))
                {
                    Port = tap.Port,
                    SslMode = SslMode.Disable,
                    GssEncryptionMode = GssEncryptionMode.Disable,
                    IncludeErrorDetail = true,
                };
                npgsqlPayload = await RunNpgsqlAsync(builder.ConnectionString, npgsqlSaw);
                await RunNpgsqlCopyAsync(builder.ConnectionString, npgsqlSaw, npgsqlFailures);

                Assert.That(await Poll.UntilAsync(() => Task.FromResult(
                    store.ListSessions().Count(s => s.State == SessionState.Sealed) == tap.Connections.Count), TimeSpan.FromSeconds(20)), Is.True,
                    "every session through the tap is recorded and sealed");
                await tap.WhenAllClosedAsync(TimeSpan.FromSeconds(20));
                fromServer = tap.AllServerBytes();
                fromClient = tap.AllClientBytes();
                perConnection = [.. tap.Connections.Select(c => c.ServerBytes())];
                Assert.That(perConnection, Has.Count.EqualTo(4), "psql; Npgsql; Npgsql binary COPY; Npgsql text COPY");
            }

            Assert.That(store.Verify().IsValid, Is.True, store.Verify().ToString());
        }

        var recorded = AllRecordedBytes(fixture);
        var tapped = Encoding.Latin1.GetString(fromServer);
        var sent = Encoding.Latin1.GetString(fromClient);

        // The negative side: nothing seeded, in any of its forms, anywhere.
        Assert.Multiple(() =>
        {
            foreach (var value in forbidden)
            {
                Assert.That(sent, Does.Not.Contain(value), $"the test itself sent '{value}': it must take values from the table only");
                Assert.That(tapped, Does.Not.Contain(value), $"'{value}' in the bytes the server side sent to a client:{Around(tapped, value)}");
                Assert.That(recorded, Does.Not.Contain(value), $"'{value}' in a recorded file:{Around(recorded, value)}");
                Assert.That(psql.StandardOutput, Does.Not.Contain(value), $"'{value}' in psql's output:{Around(psql.StandardOutput, value)}");
                Assert.That(psql.StandardError, Does.Not.Contain(value), $"'{value}' in psql's errors:{Around(psql.StandardError, value)}");
                Assert.That(npgsqlSaw, Has.None.Contains(value), $"'{value}' in a value, error or notification Npgsql read");
            }
        });

        // The positive side: the shapes ran and their (masked) results did reach the client and the recording.
        var ssn = analyst ? "***-**-8726" : "[REDACTED:us-ssn]";
        var otherSsn = analyst ? "***-**-4421" : "[REDACTED:us-ssn]";
        var number = analyst ? "******3210" : AccountNumber;
        var otherNumber = analyst ? "****-**21-00" : "8765-4321-00";
        // Binary COPY: alice's column rules make the proxy describe the COPY's columns, so text values are masked
        // like in rows; bob's session has detectors only, no description, and a binary value of unknown type in which
        // a detector finds something is sent as NULL (ResultMasker.Copy: fail closed). Either way: the non-sensitive
        // name passes, and the negative search above covers the rest.
        var binaryCopyShows = analyst ? ssn : "Ann Lee";
        const string notes = "called from [REDACTED:phone] about card [REDACTED:payment-card]";
        const string profile = """{"ssn": "[REDACTED:us-ssn]", "city": "Berlin", "iban": "[REDACTED:iban]"}""";
        const string phones = """{"[REDACTED:phone]","[REDACTED:phone]"}""";

        // Every connection's server bytes parse as whole protocol messages; count what arrived.
        var counts = new Dictionary<char, int>();
        foreach (var bytes in perConnection)
        {
            foreach (var (code, count) in CountMessages(bytes))
            {
                counts[code] = counts.GetValueOrDefault(code) + count;
            }
        }

        var sections = Sections(psql.StandardOutput);
        Assert.Multiple(() =>
        {
            Assert.That(tapped, Does.Contain(ssn).And.Contain("[REDACTED:").And.Contain("Ann Lee").And.Contain("no issues").And.Contain("Berlin"));
            Assert.That(recorded, Does.Contain(ssn).And.Contain("[REDACTED:").And.Contain("Ann Lee"));
            if (!analyst)
            {
                Assert.That(tapped, Does.Contain(AccountNumber),
                    "bob is no analyst: by the issue's rules no rule covers his account numbers (and the tap does see unmasked row data)");
            }

            Assert.That(sections.Keys, Is.SupersetOf(new[] { "star", "cursor", "end" }), psql.Combined);
            Assert.That(Section(sections, "star"), Is.EqualTo(
                $"1|Ann Lee|{ssn}|[REDACTED:email]|{notes}|{profile}|{phones}\n2|Bo Ray|{otherSsn}|[REDACTED:email]|no issues|{{\"city\": \"Oslo\"}}|{{}}"));
            Assert.That(Section(sections, "join"), Is.EqualTo($"Ann Lee|{ssn}|{number}|1250.50\nBo Ray|{otherSsn}|{otherNumber}|10"));
            Assert.That(Section(sections, "join-star"), Is.EqualTo(
                $"1|Ann Lee|{ssn}|[REDACTED:email]|{notes}|{profile}|{phones}|10|1|{number}|1250.50\n"
                + $"2|Bo Ray|{otherSsn}|[REDACTED:email]|no issues|{{\"city\": \"Oslo\"}}|{{}}|11|2|{otherNumber}|10"));
            Assert.That(Section(sections, "alias"), Is.EqualTo($"{ssn}|[REDACTED:email]|{notes}\n{otherSsn}|[REDACTED:email]|no issues"));
            Assert.That(Section(sections, "view"), Is.EqualTo($"1|{ssn}|[REDACTED:email]|ANN LEE\n2|{otherSsn}|[REDACTED:email]|BO RAY"));
            Assert.That(Section(sections, "json"), Is.EqualTo($"[REDACTED:us-ssn]|\"[REDACTED:iban]\"|Berlin|{profile}"));
            Assert.That(Section(sections, "json-each"), Is.EqualTo("city|Berlin\niban|[REDACTED:iban]\nssn|[REDACTED:us-ssn]"));
            Assert.That(Section(sections, "array"), Is.EqualTo($"{phones}|[REDACTED:phone]\n{phones}|[REDACTED:phone]"));
            Assert.That(Section(sections, "array-text"), Is.EqualTo("[REDACTED:phone]|[REDACTED:phone]; [REDACTED:phone]"));
            Assert.That(Section(sections, "expression"), Is.EqualTo($"{notes} x\nno issues x"));
            Assert.That(Section(sections, "row"), Does.StartWith("(1,\"Ann Lee\",").And.Contain("[REDACTED:us-ssn]").And.Contain("[REDACTED:payment-card]"));
            Assert.That(npgsqlPayload, Is.EqualTo(notes), "the notification Npgsql received");
            Assert.That(Section(sections, "notify"), Does.Contain($"Asynchronous notification \"c\" with payload \"{notes}\" received"));
            Assert.That(Section(sections, "copy-text"), Does.StartWith("1\tAnn Lee\t").And.Contain("[REDACTED:"));
            Assert.That(Section(sections, "copy-csv"), Does.StartWith(ssn + ",").And.Contain("[REDACTED:payment-card]"));
            Assert.That(Section(sections, "copy-binary"), Does.StartWith("PGCOPY\n").And.Contain(binaryCopyShows));
            Assert.That(Section(sections, "prepare"), Is.EqualTo($"{ssn}|{notes}\n{otherSsn}|no issues"));
            Assert.That(Section(sections, "cursor"), Is.EqualTo(Section(sections, "star")), "FETCH from a cursor is masked like the SELECT");

            Assert.That(psql.StandardError, Does.Contain($"Key (ssn)=({ssn}) already exists."));
            // With column rules in force (alice) a data exception's quoted value is hidden whole; with detectors only (bob) what they find.
            Assert.That(psql.StandardError, Does.Contain(user == ProxyInstance.UserName
                ? "invalid input syntax for type integer: \"[REDACTED]\""
                : "invalid input syntax for type integer: \"[REDACTED:email]\""));
            Assert.That(psql.StandardError, Does.Contain("NOTICE:  00000: n=[REDACTED:us-ssn]"));
            Assert.That(psql.StandardError, Does.Contain("ERROR:  P0001: e=[REDACTED:email]").And.Contain($"DETAIL:  {notes}").And.Contain("HINT:  " + profile));
            Assert.That(npgsqlFailures, Is.Empty, "Npgsql steps the proxy refused");
            Assert.That(psql.StandardError, Does.Not.Contain("not wired").And.Not.Contain("withheld"), "every shape is masked, none refused");

            Assert.That(CountMessages(perConnection[0]).GetValueOrDefault('D'), Is.EqualTo(26), "psql's DataRows: every SELECT, EXECUTE and FETCH");
            Assert.That(CountMessages(perConnection[1]).GetValueOrDefault('D'), Is.GreaterThanOrEqualTo((21 * 3) + 2 + 1 + (8 * 3)),
                "Npgsql's DataRows: every SELECT unprepared and prepared twice, the parameterised one, pg_notify, the batch three times (and its type loading)");
            Assert.That(counts.GetValueOrDefault('H'), Is.EqualTo(5), "CopyOutResponse: three COPYs from psql, binary and text from Npgsql");
            Assert.That(counts.GetValueOrDefault('d'), Is.GreaterThanOrEqualTo(2 + 2 + 2 + 2 + 2), "CopyData rows");
            Assert.That(counts.GetValueOrDefault('A'), Is.EqualTo(2), "one notification for psql, one for Npgsql");
            Assert.That(counts.GetValueOrDefault('E'), Is.EqualTo(6), "unique violation, cast error and RAISE EXCEPTION, from each client");
            Assert.That(counts.GetValueOrDefault('N'), Is.GreaterThanOrEqualTo(2), "the RAISE NOTICE, from each client");
        });
    }

    /// <summary>Runs every shape but COPY on one connection; returns the notification's payload.</summary>
    private static async Task<string> RunNpgsqlAsync(string connectionString, List<string> saw)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        connection.Notice += (_, e) => AddNotice(saw, e.Notice);
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Notification += (_, e) =>
        {
            lock (saw)
            {
                saw.Add(e.Payload);
            }

            notified.TrySetResult(e.Payload);
        };

        foreach (var (label, sql, rows) in Selects)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            Assert.That(await ReadAllAsync(command, saw), Is.EqualTo(rows), $"{label}, unprepared");
            await command.PrepareAsync();
            for (var run = 0; run < 2; run++)
            {
                // The second run executes the prepared statement without a fresh description.
                Assert.That(await ReadAllAsync(command, saw), Is.EqualTo(rows), $"{label}, prepared, run {run}");
            }
        }

        await using (var parameterised = new NpgsqlCommand("SELECT ssn, notes, profile, phones FROM customers WHERE id = $1", connection))
        {
            parameterised.Parameters.AddWithValue(1);
            Assert.That(await ReadAllAsync(parameterised, saw), Is.EqualTo(1));
            await parameterised.PrepareAsync();
            Assert.That(await ReadAllAsync(parameterised, saw), Is.EqualTo(1));
        }

        foreach (var (sqlState, sql) in new[]
                 {
                     ("23505", "INSERT INTO customers (id, ssn) SELECT 9, ssn FROM customers WHERE id = 1"),
                     ("22P02", "SELECT email::int FROM customers WHERE id = 1"),
                     ("P0001", "DO $$ DECLARE r customers; BEGIN SELECT * INTO r FROM customers WHERE id = 1; RAISE EXCEPTION 'e=%', r.email USING DETAIL = r.notes, HINT = r.profile::text; END $$"),
                 })
        {
            await using var failing = new NpgsqlCommand(sql, connection);
            var error = await Assert.ThrowsAsync<PostgresException>(() => failing.ExecuteNonQueryAsync());
            Assert.That(error!.SqlState, Is.EqualTo(sqlState), error.ToString());
            lock (saw)
            {
                saw.AddRange([error.MessageText, error.Detail ?? "", error.Hint ?? "", error.Where ?? "", error.ToString()]);
            }
        }

        await using (var notice = new NpgsqlCommand("DO $$ BEGIN RAISE NOTICE 'n=%', (SELECT ssn FROM customers WHERE id = 1); END $$", connection))
        {
            await notice.ExecuteNonQueryAsync();
        }

        await using (var listen = new NpgsqlCommand("LISTEN c", connection))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using (var notify = new NpgsqlCommand("SELECT pg_notify('c', notes) FROM customers WHERE id = 1", connection))
        {
            await notify.ExecuteNonQueryAsync();
        }

        var payload = await notified.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT ssn, email FROM customers ORDER BY id"),
                new NpgsqlBatchCommand("SELECT notes || ' x' AS n, profile, phones FROM customers ORDER BY id"),
                new NpgsqlBatchCommand("SELECT c.ssn AS x, a.number, a.balance FROM customers c JOIN accounts a ON a.customer_id = c.id ORDER BY c.id"),
                new NpgsqlBatchCommand("SELECT * FROM customer_contacts ORDER BY id"),
            },
        };
        for (var run = 0; run < 3; run++)
        {
            if (run == 1)
            {
                await batch.PrepareAsync();
            }

            await using var reader = await batch.ExecuteReaderAsync();
            var results = 0;
            do
            {
                Assert.That(await ReadRowsAsync(reader, saw), Is.EqualTo(2), $"batch result {results}, run {run}");
                results++;
            }
            while (await reader.NextResultAsync());

            Assert.That(results, Is.EqualTo(4));
        }

        return payload;
    }

    /// <summary>
    /// Binary and text COPY through Npgsql, each on its own connection (Npgsql breaks the connection when a COPY
    /// fails to start). A refused COPY is kept as a failure, so that the leak search over everything else still runs;
    /// the test fails on it at the end.
    /// </summary>
    private static async Task RunNpgsqlCopyAsync(string connectionString, List<string> saw, List<string> failures)
    {
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            try
            {
                var binary = new MemoryStream();
                await using (var copy = await connection.BeginRawBinaryCopyAsync("COPY customers TO STDOUT WITH (FORMAT binary)"))
                {
                    await copy.CopyToAsync(binary);
                }

                var binaryText = Encoding.Latin1.GetString(binary.ToArray());
                if (!binaryText.StartsWith("PGCOPY\n", StringComparison.Ordinal) || !binaryText.Contains("Ann Lee", StringComparison.Ordinal)
                    || !binaryText.Contains("no issues", StringComparison.Ordinal))
                {
                    failures.Add("Npgsql binary COPY: the non-sensitive rows did not arrive");
                }
                lock (saw)
                {
                    saw.Add(binaryText);
                }
            }
            catch (PostgresException e)
            {
                failures.Add($"Npgsql binary COPY: {e.SqlState} {e.MessageText}");
            }
        }

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            try
            {
                using var text = await connection.BeginTextExportAsync("COPY (SELECT ssn, notes, profile FROM customers ORDER BY id) TO STDOUT");
                var exported = await text.ReadToEndAsync();
                if (exported.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length != 2)
                {
                    failures.Add("Npgsql text COPY: not two rows");
                }
                lock (saw)
                {
                    saw.Add(exported);
                }
            }
            catch (PostgresException e)
            {
                failures.Add($"Npgsql text COPY: {e.SqlState} {e.MessageText}");
            }
        }
    }

    private static async Task<int> ReadAllAsync(NpgsqlCommand command, List<string> saw)
    {
        await using var reader = await command.ExecuteReaderAsync();
        return await ReadRowsAsync(reader, saw);
    }

    /// <summary>Reads every column of every row as its own type, keeping what was read as text.</summary>
    private static async Task<int> ReadRowsAsync(NpgsqlDataReader reader, List<string> saw)
    {
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (await reader.IsDBNullAsync(i))
                {
                    continue;
                }

                var value = reader.GetDataTypeName(i) switch
                {
                    "text" or "json" or "jsonb" => reader.GetString(i),
                    "text[]" => string.Join("\u0001", reader.GetFieldValue<string[]>(i)),
                    "numeric" => reader.GetDecimal(i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "integer" => reader.GetInt32(i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "void" => "",
                    "record" => string.Join("\u0001", reader.GetFieldValue<object[]>(i).Select(Flatten)),
                    var other => throw new AssertionException($"column {reader.GetName(i)} has type {other}, which the test does not read yet"),
                };
                lock (saw)
                {
                    saw.Add(value);
                }
            }
        }

        return rows;
    }

    private static string Flatten(object? value) => value switch
    {
        null or DBNull => "",
        string[] array => string.Join("\u0001", array),
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static void AddNotice(List<string> saw, PostgresNotice notice)
    {
        lock (saw)
        {
            saw.AddRange([notice.MessageText, notice.Detail ?? "", notice.Hint ?? "", notice.Where ?? ""]);
        }
    }

    /// <summary>The seeded values (and their digits alone) this user may not see.</summary>
    private static string[] Forbidden(bool analyst)
    {
        // The issue's rules give engineers no rule for account numbers, and no detector recognises them: bob sees them
        // by design (ResultMaskingTests.Psql_another_group_gets_only_the_detectors). Everything else is forbidden to both.
        var values = SensitiveValues.Append(ForeignPhone).Where(v => analyst || !AccountNumbers.Contains(v)).ToList();
        var digitsOnly = values.Select(v => new string([.. v.Where(char.IsAsciiDigit)])).Where(d => d.Length >= 6);
        return [.. values.Concat(digitsOnly).Distinct()];
    }

    private static string AllRecordedBytes(RecordingFixture fixture) =>
        string.Concat(Directory.EnumerateFiles(fixture.Options.Directory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != ".lock")
            .Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));

    private static string Around(string text, string value)
    {
        var at = text.IndexOf(value, StringComparison.Ordinal);
        if (at < 0)
        {
            return "";
        }

        var start = Math.Max(0, at - 120);
        var end = Math.Min(text.Length, at + value.Length + 120);
        var excerpt = new StringBuilder();
        foreach (var c in text[start..end])
        {
            excerpt.Append(c is >= ' ' and < (char)127 ? c : '.');
        }

        return " …" + excerpt + "…";
    }

    /// <summary>psql's output split at the <c>\echo @@name</c> lines.</summary>
    private static Dictionary<string, string> Sections(string output)
    {
        var sections = new Dictionary<string, string>();
        string? name = null;
        var body = new StringBuilder();
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("@@", StringComparison.Ordinal))
            {
                if (name is not null)
                {
                    sections[name] = body.ToString().Trim('\n');
                }

                name = line[2..];
                body.Clear();
            }
            else if (name is not null)
            {
                body.Append(line).Append('\n');
            }
        }

        if (name is not null)
        {
            sections[name] = body.ToString().Trim('\n');
        }

        return sections;
    }

    private static string Section(Dictionary<string, string> sections, string name) => sections.GetValueOrDefault(name, "<no such section>");

    /// <summary>Counts the backend messages by type code; fails if the bytes are not a whole sequence of messages.</summary>
    private static Dictionary<char, int> CountMessages(byte[] bytes)
    {
        var counts = new Dictionary<char, int>();
        var at = 0;
        while (at < bytes.Length)
        {
            Assert.That(bytes.Length - at, Is.GreaterThanOrEqualTo(5), $"a truncated message header at {at}");
            var code = (char)bytes[at];
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at + 1));
            Assert.That(length, Is.InRange(4, bytes.Length - at - 1), $"message '{code}' at {at} has length {length}");
            counts[code] = counts.GetValueOrDefault(code) + 1;
            at += 1 + length;
        }

        return counts;
    }
}
