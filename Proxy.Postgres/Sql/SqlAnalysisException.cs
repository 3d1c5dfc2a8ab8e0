namespace HoopProxy.Postgres.Sql;

/// <summary>
/// Raised inside the analysis when some part of the text (a DO block, a function body, a PL/pgSQL expression) cannot
/// be parsed or is nested too deeply; <see cref="SqlTextAnalyzer"/> turns it into an unparsed <see cref="SqlAnalysis"/>.
/// </summary>
internal sealed class SqlAnalysisException(string message) : Exception(message);
