using System.Buffers;
using System.Text;
using HoopProxy.Postgres.Masking.Copy;
using HoopProxy.Tests.Unit.Masking.Copy;
using Npgsql;
using NUnit.Framework;

namespace HoopProxy.Tests.Integration.Masking;

/// <summary>
/// The COPY rewriter against bytes the real server wrote: passed through unchanged they must come out byte for byte,
/// and with one column replaced and another made NULL they must load back with COPY FROM as exactly those values.
/// </summary>
public sealed class CopyOutRewriterServerTests
{
    private const int SecretColumn = 3;
    private const int NoteColumn = 2;
    private const string Replacement = "M\t,;|'\"\\\n\r\\. é😀 N NULL";

    /// <summary>id, name, note, secret, amount, tags, blob: every value something an escaper could get wrong.</summary>
    private static readonly object?[][] Rows =
    [
        [1, "plain", "tab\there", "SECRET-1", 1.5m, new[] { "a", "b" }, new byte[] { 0, 0xFF }],
        [2, "back\\slash", "new\nline", "SECRET\twith\ttabs", null, new[] { "x,y", "q\"uote", "back\\slash" }, null],
        [3, "comma, \"quoted\"", "cr\rlf\r\n", null, -0.000001m, null, Array.Empty<byte>()],
        [4, "", "üñíçødé 😀 中文", "SECRET é", 100000000000000000000m, Array.Empty<string>(), new byte[] { 0x5C, 0x6E }],
        [5, "\\N", "\\.", "\\.", 0m, new string?[] { null, "NULL" }, new byte[] { 10, 13, 9 }],
        [6, null, null, null, null, null, null],
        [7, ";|", "\b\f\v\u0001\u007F", "'single' and ;semi|pipe", 7m, new[] { "{}" }, new byte[] { 0x22 }],
        [8, "NIL", "N", "\"", 8m, new[] { "" }, new byte[] { 0x2C }],
    ];

    private static readonly string[] Formats =
    [
        "FORMAT text",
        // Text format cannot tell a value equal to the NULL string from NULL, so no value here is "(null)".
        "FORMAT text, DELIMITER '|', NULL '(null)', HEADER",
        "FORMAT csv",
        "FORMAT csv, HEADER, DELIMITER ';', QUOTE '''', ESCAPE '\\', NULL 'NIL'",
        "FORMAT csv, FORCE_QUOTE (note, secret), NULL ''",
        "FORMAT binary",
    ];

    private string _table = "";

    [OneTimeSetUp]
    public async Task CreateTableAsync()
    {
        _table = $"copy_src_{Guid.NewGuid():N}"[..24];
        await using var connection = await OpenAsync();
        await ExecuteAsync(connection, $"CREATE TABLE {_table} (id int, name text, note text, secret text, amount numeric, tags text[], blob bytea)");
        foreach (var row in Rows)
        {
            await using var insert = new NpgsqlCommand($"INSERT INTO {_table} VALUES ($1, $2, $3, $4, $5, $6, $7)", connection);
            foreach (var value in row)
            {
                insert.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
            }

            insert.Parameters[5].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text;
            await insert.ExecuteNonQueryAsync();
        }
    }

    [OneTimeTearDown]
    public Task DropTableAsync() => TestCluster.DropTableAsync(_table);

    [TestCaseSource(nameof(Formats))]
    public async Task Unmasked_output_is_the_servers_bytes_exactly(string format)
    {
        var (options, data) = await CopyOutAsync(format);
        var messages = Chunks(data, 7).ToArray();

        Assert.That(CopyRewriting.Run(options, FakeFieldMasker.PassThrough(), data), Is.EqualTo(data), "one message");
        Assert.That(CopyRewriting.Run(options, FakeFieldMasker.PassThrough(), messages), Is.EqualTo(data), "seven-byte messages");
        var sameBytes = new SameBytesMasker();
        Assert.That(CopyRewriting.Run(options, sameBytes, messages), Is.EqualTo(data), "every field re-written from its value, as the server writes it");
        Assert.That(sameBytes.Calls, Is.GreaterThan(Rows.Length * 4));
    }

    [TestCaseSource(nameof(Formats))]
    public async Task Masked_output_loads_back_as_the_replacement_values(string format)
    {
        var (options, data) = await CopyOutAsync(format);
        var masker = new FakeFieldMasker((column, _) => column switch
        {
            SecretColumn => Replacement,
            NoteColumn => FakeFieldMasker.Null,
            _ => null,
        });
        var masked = CopyRewriting.Run(options, masker, Chunks(data, 5).ToArray());

        var copy = $"copy_dst_{Guid.NewGuid():N}"[..24];
        await using var connection = await OpenAsync();
        await ExecuteAsync(connection, $"CREATE TABLE {copy} (LIKE {_table})");
        try
        {
            await CopyInAsync(connection, $"COPY {copy} FROM STDIN WITH ({format.Replace("FORCE_QUOTE (note, secret), ", "")})", masked, options);

            Assert.That(await ScalarAsync(connection, $"SELECT count(*) FROM {copy}"), Is.EqualTo((long)Rows.Length));
            Assert.That(await ScalarAsync(connection, $"SELECT count(*) FROM {copy} WHERE note IS NOT NULL"), Is.Zero);
            Assert.That(await ScalarAsync(connection,
                    $"SELECT count(*) FROM {_table} s JOIN {copy} d USING (id) WHERE d.secret IS NOT DISTINCT FROM CASE WHEN s.secret IS NULL THEN NULL ELSE $1 END"),
                Is.EqualTo((long)Rows.Length), "the replacement reads back exactly, NULL stays NULL");
            Assert.That(await ScalarAsync(connection,
                    $"SELECT count(*) FROM {_table} s JOIN {copy} d USING (id) WHERE (s.name, s.amount, s.tags, s.blob) IS NOT DISTINCT FROM (d.name, d.amount, d.tags, d.blob)"),
                Is.EqualTo((long)Rows.Length), "untouched columns read back as they were");
        }
        finally
        {
            await TestCluster.DropTableAsync(copy);
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(TestCluster.DirectConnectionString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Replacement });
        return await command.ExecuteScalarAsync();
    }

    private static IEnumerable<byte[]> Chunks(byte[] data, int size)
    {
        for (var i = 0; i < data.Length; i += size)
        {
            yield return data[i..Math.Min(data.Length, i + size)];
        }
    }

    /// <summary>The statement's options as the proxy would read them, and the COPY data exactly as the server sent it.</summary>
    private async Task<(CopyOutOptions Options, byte[] Data)> CopyOutAsync(string format)
    {
        var statement = $"COPY {_table} TO STDOUT WITH ({format})";
        Assert.That(CopyOutOptions.TryFromStatement(statement, out var options, out _, out var error), Is.True, error);

        await using var connection = await OpenAsync();
        if (options!.Format != CopyFormat.Binary)
        {
            // Npgsql's raw stream is binary-only; its text reader decodes UTF-8, which gives back the very bytes of valid UTF-8.
            using var text = await connection.BeginTextExportAsync(statement);
            return (options, Encoding.UTF8.GetBytes(await text.ReadToEndAsync()));
        }

        var data = new ArrayBufferWriter<byte>();
        await using (var export = await connection.BeginRawBinaryCopyAsync(statement))
        {
            var buffer = new byte[4096];
            int read;
            while ((read = await export.ReadAsync(buffer.AsMemory(), CancellationToken.None)) > 0)
            {
                data.Write(buffer.AsSpan(0, read));
            }
        }

        return (options, data.WrittenSpan.ToArray());
    }

    private static async Task CopyInAsync(NpgsqlConnection connection, string statement, byte[] data, CopyOutOptions options)
    {
        if (options.Format != CopyFormat.Binary)
        {
            await using var text = await connection.BeginTextImportAsync(statement);
            await text.WriteAsync(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data));
            return;
        }

        await using var import = await connection.BeginRawBinaryCopyAsync(statement);
        await import.WriteAsync(data);
    }
}
