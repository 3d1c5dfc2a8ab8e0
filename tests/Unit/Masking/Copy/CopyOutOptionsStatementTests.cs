using HoopProxy.Postgres.Masking.Copy;
using NUnit.Framework;

namespace HoopProxy.Tests.Unit.Masking.Copy;

public sealed class CopyOutOptionsStatementTests
{
    private static (CopyOutOptions Options, CopySource Source) Read(string sql)
    {
        var ok = CopyOutOptions.TryFromStatement(sql, out var options, out var source, out var error);
        Assert.That(ok, Is.True, error);
        Assert.That(error, Is.Null);
        return (options!, source!);
    }

    private static string Refusal(string sql)
    {
        var ok = CopyOutOptions.TryFromStatement(sql, out var options, out var source, out var error);
        Assert.That(ok, Is.False, $"accepted: {options} {source}");
        Assert.That(options, Is.Null);
        Assert.That(source, Is.Null);
        return error!;
    }

    private static IReadOnlyList<string>? Columns(CopySource source) => ((CopyRelationSource)source).Columns;

    [Test]
    public void A_bare_copy_of_a_table_is_text_with_the_defaults()
    {
        var (options, source) = Read("COPY accounts TO STDOUT");

        Assert.That(options, Is.EqualTo(CopyOutOptions.ForText()));
        Assert.That(options.Delimiter, Is.EqualTo('\t'));
        Assert.That(options.NullString, Is.EqualTo("\\N"));
        Assert.That(options.Header, Is.False);
        Assert.That(source, Is.EqualTo(new CopyRelationSource(null, "accounts", null)));
    }

    [Test]
    public void The_old_syntax_with_schema_and_columns()
    {
        var (options, source) = Read("COPY bank.\"Accounts\" (id, \"Owner\") TO STDOUT CSV HEADER DELIMITER ';' NULL 'x' QUOTE '''' ESCAPE '\\' FORCE QUOTE id");

        Assert.That(options, Is.EqualTo(CopyOutOptions.ForCsv(delimiter: ';', nullString: "x", quote: '\'', escape: '\\', header: true)));
        var relation = (CopyRelationSource)source;
        Assert.That(relation.Schema, Is.EqualTo("bank"));
        Assert.That(relation.Name, Is.EqualTo("Accounts"));
        Assert.That(relation.Columns, Is.EqualTo(new[] { "id", "Owner" }));
    }

    [Test]
    public void The_new_syntax()
    {
        var (options, source) = Read(
            "copy public.t to stdout with (format csv, header true, delimiter '|', null 'NULL', quote '\"', escape '\\', encoding 'UTF8', force_quote (a))");

        Assert.That(options, Is.EqualTo(CopyOutOptions.ForCsv(delimiter: '|', nullString: "NULL", escape: '\\', header: true)));
        Assert.That(source, Is.EqualTo(new CopyRelationSource("public", "t", null)));
    }

    [Test]
    public void Csv_defaults_escape_to_the_quote()
    {
        var (options, _) = Read("COPY t TO STDOUT (FORMAT csv, QUOTE '''')");

        Assert.That(options.Format, Is.EqualTo(CopyFormat.Csv));
        Assert.That(options.Delimiter, Is.EqualTo(','));
        Assert.That(options.NullString, Is.EqualTo(""));
        Assert.That(options.Quote, Is.EqualTo('\''));
        Assert.That(options.Escape, Is.EqualTo('\''));
    }

    [TestCase("COPY t TO STDOUT BINARY")]
    [TestCase("COPY t TO STDOUT WITH BINARY")]
    [TestCase("COPY t TO STDOUT (FORMAT binary)")]
    [TestCase("COPY t TO STDOUT (FORMAT 'binary')")]
    public void Binary_in_either_syntax(string sql) => Assert.That(Read(sql).Options, Is.EqualTo(CopyOutOptions.ForBinary()));

    [TestCase("COPY t TO STDOUT (FORMAT text, HEADER)", true)]
    [TestCase("COPY t TO STDOUT (HEADER true)", true)]
    [TestCase("COPY t TO STDOUT (HEADER 1)", true)]
    [TestCase("COPY t TO STDOUT (HEADER on)", true)]
    [TestCase("COPY t TO STDOUT (HEADER false)", false)]
    [TestCase("COPY t TO STDOUT (HEADER 0)", false)]
    [TestCase("COPY t TO STDOUT (HEADER off)", false)]
    [TestCase("COPY t TO STDOUT CSV HEADER", true)]
    [TestCase("COPY t TO STDOUT CSV", false)]
    public void Header_values(string sql, bool header) => Assert.That(Read(sql).Options.Header, Is.EqualTo(header));

    [Test]
    public void Text_with_custom_delimiter_and_null_in_the_old_syntax()
    {
        var (options, _) = Read("COPY t TO STDOUT DELIMITER '|' NULL ''");

        Assert.That(options, Is.EqualTo(CopyOutOptions.ForText(delimiter: '|', nullString: "")));
    }

    [TestCase("'UTF8'")]
    [TestCase("'utf-8'")]
    [TestCase("'Unicode'")]
    [TestCase("'utf_8'")]
    public void Utf8_encodings_are_accepted(string encoding) => Read($"COPY t TO STDOUT (ENCODING {encoding})");

    [TestCase("COPY t TO STDOUT (ENCODING 'LATIN1')")]
    [TestCase("COPY t TO STDOUT CSV ENCODING 'SQL_ASCII'")]
    [TestCase("COPY t TO STDOUT (FORMAT binary, ENCODING 'WIN1252')")]
    public void Other_encodings_are_refused(string sql) => Assert.That(Refusal(sql), Does.Contain("ENCODING"));

    [TestCase("COPY t FROM STDIN", "COPY FROM")]
    [TestCase("COPY t TO '/tmp/x'", "file")]
    [TestCase("COPY t TO PROGRAM 'cat'", "program")]
    [TestCase("SELECT 1", "not COPY")]
    [TestCase("COPY t TO STDOUT; COPY u TO STDOUT", "2 statements")]
    [TestCase("COPY t TO", "does not parse")]
    [TestCase("COPY t TO STDOUT (DELIMITER 'ab')", "single one-byte")]
    [TestCase("COPY t TO STDOUT (DELIMITER 'é')", "single one-byte")]
    [TestCase("COPY t TO STDOUT (FORMAT json)", "not recognized")]
    [TestCase("COPY t TO STDOUT (FORMAT binary, HEADER)", "BINARY")]
    [TestCase("COPY t TO STDOUT (FORMAT binary, NULL 'x')", "BINARY")]
    [TestCase("COPY t TO STDOUT (FORMAT binary, DELIMITER ',')", "BINARY")]
    [TestCase("COPY t TO STDOUT (FORMAT csv, HEADER match)", "match")]
    [TestCase("COPY t TO STDOUT (FORMAT csv, FORMAT text)", "twice")]
    [TestCase("COPY t TO STDOUT (QUOTE '''')", "CSV")]
    [TestCase("COPY t TO STDOUT (ESCAPE '\\')", "CSV")]
    [TestCase("COPY t TO STDOUT (OIDS)", "OIDS")]
    [TestCase("COPY t TO STDOUT (DELIMITER 'a')", "delimiter")]
    [TestCase("COPY t TO STDOUT (DELIMITER E'\\n')", "newline")]
    [TestCase("COPY t TO STDOUT (NULL E'a\\nb')", "newline")]
    [TestCase("COPY t TO STDOUT (DELIMITER ',', NULL 'a,b')", "NULL specification")]
    [TestCase("COPY t TO STDOUT (FORMAT csv, DELIMITER '\"')", "different")]
    [TestCase("COPY t TO STDOUT (FORMAT csv, NULL '\"')", "quote")]
    public void Refusals_say_why(string sql, string reason) => Assert.That(Refusal(sql), Does.Contain(reason));

    [Test]
    public void A_column_list_without_a_schema()
    {
        Assert.That(Columns(Read("COPY t (a) TO STDOUT").Source), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public void The_query_is_cut_out_with_its_exact_spelling()
    {
        const string query = " SELECT ')' AS p, $$ ( $$, \"a)b\", E'\\')' /* ) ( */ -- )\n FROM t WHERE (x) = $q$)$q$ ";
        var (options, source) = Read($"/* lead ( */ copy ({query}) TO STDOUT WITH (FORMAT csv)");

        Assert.That(source, Is.EqualTo(new CopyQuerySource(query)));
        Assert.That(options.Format, Is.EqualTo(CopyFormat.Csv));
    }

    [Test]
    public void A_query_in_its_own_parentheses_and_a_data_modifying_query()
    {
        Assert.That(Read("COPY ((SELECT 1)) TO STDOUT").Source, Is.EqualTo(new CopyQuerySource("(SELECT 1)")));
        Assert.That(Read("COPY (DELETE FROM t RETURNING *) TO STDOUT").Source, Is.EqualTo(new CopyQuerySource("DELETE FROM t RETURNING *")));
    }

    [Test]
    public void A_deeply_nested_query_is_read()
    {
        var query = string.Concat(Enumerable.Repeat("SELECT (", 40)) + "1" + new string(')', 40);

        Assert.That(Read($"COPY ({query}) TO STDOUT").Source, Is.EqualTo(new CopyQuerySource(query)));
    }

    [Test]
    public void Offsets_count_characters_after_multi_byte_text_before_the_statement()
    {
        Assert.That(Read("/* é😀 */ COPY (SELECT 'ü)') TO STDOUT").Source, Is.EqualTo(new CopyQuerySource("SELECT 'ü)'")));
        Assert.That(Read(";/* é */; COPY (SELECT 'ü') TO STDOUT;").Source, Is.EqualTo(new CopyQuerySource("SELECT 'ü'")));
    }

    [Test]
    public void The_factories_refuse_what_PostgreSQL_refuses()
    {
        Assert.Throws<ArgumentException>(() => CopyOutOptions.ForText(delimiter: '\\'));
        Assert.Throws<ArgumentException>(() => CopyOutOptions.ForText(nullString: "a\tb"));
        Assert.Throws<ArgumentException>(() => CopyOutOptions.ForCsv(delimiter: '"'));
        Assert.Throws<ArgumentException>(() => CopyOutOptions.ForCsv(nullString: "\""));
        Assert.Throws<ArgumentException>(() => CopyOutOptions.ForCsv(quote: 'é'));
    }
}
