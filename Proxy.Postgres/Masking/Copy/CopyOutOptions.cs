using System.Diagnostics.CodeAnalysis;

namespace HoopProxy.Postgres.Masking.Copy;

/// <summary>
/// What the bytes of one <c>COPY … TO STDOUT</c> look like: the format and, for text and CSV, the delimiter, the NULL
/// string, the CSV quote and escape characters and whether a header line comes first. Built with <see cref="ForText"/>,
/// <see cref="ForCsv"/>, <see cref="ForBinary"/> or read from the statement with <see cref="TryFromStatement"/>; the
/// factories refuse what PostgreSQL refuses, so a rewriter never has to guess between two readings of a byte.
/// </summary>
public sealed record CopyOutOptions
{
    public const char DefaultTextDelimiter = '\t';
    public const string DefaultTextNull = @"\N";
    public const char DefaultCsvDelimiter = ',';
    public const string DefaultCsvNull = "";
    public const char DefaultCsvQuote = '"';

    private CopyOutOptions(CopyFormat format, char delimiter, string nullString, char quote, char escape, bool header)
    {
        Format = format;
        Delimiter = delimiter;
        NullString = nullString;
        Quote = quote;
        Escape = escape;
        Header = header;
    }

    public CopyFormat Format { get; }

    /// <summary>The field separator (text and CSV; one ASCII character).</summary>
    public char Delimiter { get; }

    /// <summary>How NULL is written (text and CSV): compared with the raw field, before any unescaping or unquoting.</summary>
    public string NullString { get; }

    /// <summary>The CSV quote character (unused in text and binary).</summary>
    public char Quote { get; }

    /// <summary>The CSV character that escapes a quote (or itself) inside a quoted field; the quote itself by default.</summary>
    public char Escape { get; }

    /// <summary>Whether the first line (text and CSV) holds column names: it is passed through untouched.</summary>
    public bool Header { get; }

    public static CopyOutOptions ForText(char delimiter = DefaultTextDelimiter, string nullString = DefaultTextNull, bool header = false) =>
        Checked(new CopyOutOptions(CopyFormat.Text, delimiter, nullString, DefaultCsvQuote, DefaultCsvQuote, header));

    public static CopyOutOptions ForCsv(
        char delimiter = DefaultCsvDelimiter, string nullString = DefaultCsvNull, char quote = DefaultCsvQuote, char? escape = null, bool header = false) =>
        Checked(new CopyOutOptions(CopyFormat.Csv, delimiter, nullString, quote, escape ?? quote, header));

    public static CopyOutOptions ForBinary() =>
        new(CopyFormat.Binary, DefaultTextDelimiter, DefaultTextNull, DefaultCsvQuote, DefaultCsvQuote, header: false);

    /// <summary>
    /// Reads a <c>COPY … TO STDOUT</c> statement (old syntax <c>CSV HEADER DELIMITER ';'</c> or <c>WITH (FORMAT csv, …)</c>)
    /// with libpg_query. False, with <paramref name="error"/> saying why, for anything that is not one COPY to the client,
    /// for options PostgreSQL would refuse or that this reader does not know, and for an ENCODING other than UTF-8
    /// (only UTF-8 data is masked). Without an ENCODING option the data is in the session's client_encoding, which
    /// the caller must know to be UTF-8 (text that is not is masked as NULL, see docs/masking.md).
    /// </summary>
    public static bool TryFromStatement(
        string copyStatementText,
        [NotNullWhen(true)] out CopyOutOptions? options,
        [NotNullWhen(true)] out CopySource? source,
        [NotNullWhen(false)] out string? error) =>
        CopyStatementReader.TryRead(copyStatementText, out options, out source, out error);

    /// <summary>True when <see cref="TryFromStatement"/> refused a COPY because it sends no rows to the client (FROM, a file, a program).</summary>
    public static bool SendsNoRows(string error) => error is CopyStatementReader.FromMessage or CopyStatementReader.ToFileMessage;

    /// <summary>Builds options read from a statement, or says what PostgreSQL would say about them.</summary>
    internal static bool TryCreate(
        CopyFormat format, string? delimiter, string? nullString, string? quote, string? escape, bool header,
        [NotNullWhen(true)] out CopyOutOptions? options, [NotNullWhen(false)] out string? error)
    {
        options = null;
        if (format == CopyFormat.Binary)
        {
            error = delimiter is not null ? "cannot specify DELIMITER in BINARY mode"
                : nullString is not null ? "cannot specify NULL in BINARY mode"
                : header ? "cannot specify HEADER in BINARY mode"
                : null;
            options = error is null ? ForBinary() : null;
            return options is not null;
        }

        if (format == CopyFormat.Text && (quote is not null || escape is not null))
        {
            error = quote is not null ? "COPY QUOTE requires CSV mode" : "COPY ESCAPE requires CSV mode";
            return false;
        }

        if (!TrySingleByte(delimiter, "delimiter", out var delimiterChar, out error)
            || !TrySingleByte(quote, "quote", out var quoteChar, out error)
            || !TrySingleByte(escape, "escape", out var escapeChar, out error))
        {
            return false;
        }

        var candidate = format == CopyFormat.Text
            ? new CopyOutOptions(format, delimiterChar ?? DefaultTextDelimiter, nullString ?? DefaultTextNull, DefaultCsvQuote, DefaultCsvQuote, header)
            : new CopyOutOptions(format, delimiterChar ?? DefaultCsvDelimiter, nullString ?? DefaultCsvNull,
                quoteChar ?? DefaultCsvQuote, escapeChar ?? quoteChar ?? DefaultCsvQuote, header);
        error = candidate.Problem();
        options = error is null ? candidate : null;
        return options is not null;
    }

    private static CopyOutOptions Checked(CopyOutOptions options) =>
        options.Problem() is { } problem ? throw new ArgumentException(problem) : options;

    private static bool TrySingleByte(string? value, string what, out char? character, [NotNullWhen(false)] out string? error)
    {
        character = null;
        error = null;
        if (value is null)
        {
            return true;
        }

        if (value.Length != 1 || value[0] > 0x7F)
        {
            error = $"COPY {what} must be a single one-byte character";
            return false;
        }

        character = value[0];
        return true;
    }

    /// <summary>The checks of PostgreSQL's ProcessCopyOptions that concern COPY TO, with its messages.</summary>
    private string? Problem()
    {
        if (Format == CopyFormat.Binary)
        {
            return null;
        }

        if (Delimiter > 0x7F || (Format == CopyFormat.Csv && (Quote > 0x7F || Escape > 0x7F)))
        {
            return "COPY delimiter, quote and escape must be single one-byte characters";
        }

        if (Delimiter is '\r' or '\n' || NullString.AsSpan().ContainsAny('\r', '\n'))
        {
            return "COPY delimiter and NULL cannot be newline or carriage return";
        }

        // In text format these would be read as part of a backslash escape.
        if (Format == CopyFormat.Text && @"\.abcdefghijklmnopqrstuvwxyz0123456789".Contains(Delimiter, StringComparison.Ordinal))
        {
            return $"COPY delimiter cannot be \"{Delimiter}\"";
        }

        if (Format == CopyFormat.Csv && Delimiter == Quote)
        {
            return "COPY delimiter and quote must be different";
        }

        if (NullString.Contains(Delimiter, StringComparison.Ordinal))
        {
            return "COPY delimiter character must not appear in the NULL specification";
        }

        if (Format == CopyFormat.Csv && NullString.Contains(Quote, StringComparison.Ordinal))
        {
            return "CSV quote character must not appear in the NULL specification";
        }

        return null;
    }
}
