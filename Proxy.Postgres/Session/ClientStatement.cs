using System.Buffers;
using HoopProxy.Postgres.Protocol;
using HoopProxy.Postgres.Protocol.Frontend;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// The SQL a Query or Parse carries, decoded from UTF-8 and analysed once per message, for every observer that
/// needs it (the statement guard and the audit) — the message is parsed, the text decoded and looked up in the
/// analyzer's cache once.
/// </summary>
/// <param name="StatementName">For a Parse: the prepared statement it defines ("" for the unnamed one); null for a Query.</param>
internal sealed record ClientStatement(string Text, long Utf8Length, SqlAnalysis Analysis, string? StatementName = null)
{
    public static ClientStatement? From(byte code, in ReadOnlySequence<byte> body, SqlAnalyzer analyzer)
    {
        switch ((FrontendMessageCode)code)
        {
            case FrontendMessageCode.Query when Query.TryParse(body, out var query):
                var text = query.TextString();
                return new ClientStatement(text, query.Text.Length, analyzer.Analyze(text));
            case FrontendMessageCode.Parse when Parse.TryParse(body, out var parse):
                var parseText = parse.QueryString();
                return new ClientStatement(parseText, parse.QueryText.Length, analyzer.Analyze(parseText), parse.StatementName);
            default:
                return null;
        }
    }
}
