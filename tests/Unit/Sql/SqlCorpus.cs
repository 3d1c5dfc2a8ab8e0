using System.Runtime.CompilerServices;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Tests.Unit.Sql;

/// <summary>One corpus line: the SQL and the expectations that must hold for its analysis.</summary>
public sealed record CorpusCase(string File, int Line, string Sql, IReadOnlyList<string> Expectations)
{
    public override string ToString() => $"{File}:{Line} {Sql}";
}

/// <summary>
/// The corpora in Corpus/*.txt, read from the source tree (the test project copies no content files): one case per
/// line, "expectation; expectation ||| sql", '#' comments. Expectations are checked by <see cref="Unmet"/>.
/// </summary>
public static class SqlCorpus
{
    public static IEnumerable<CorpusCase> Load(string fileName)
    {
        var path = Path.Combine(CorpusDirectory(), fileName);
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var separator = line.IndexOf("|||", StringComparison.Ordinal);
            if (separator < 0)
            {
                throw new InvalidDataException($"{fileName}:{i + 1}: no '|||' separator");
            }

            var expectations = line[..separator].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            yield return new CorpusCase(fileName, i + 1, line[(separator + 3)..].Trim(), expectations);
        }
    }

    /// <summary>The expectations that do not hold (empty when all do).</summary>
    public static IReadOnlyList<string> Unmet(SqlAnalysis analysis, IEnumerable<string> expectations) =>
        expectations.Where(expectation => !Holds(analysis, expectation)).ToList();

    private static bool Holds(SqlAnalysis analysis, string expectation)
    {
        var space = expectation.IndexOf(' ');
        var verb = space < 0 ? expectation : expectation[..space];
        var argument = space < 0 ? "" : expectation[(space + 1)..];
        var statements = analysis.Statements;
        return verb switch
        {
            "unparseable" => !analysis.Parsed,
            "statements" => analysis.Parsed && statements.Count == int.Parse(argument, System.Globalization.CultureInfo.InvariantCulture),
            "command" => statements.Any(s => s.EffectiveCommands.Contains(argument)),
            "class" => statements.Any(s => s.EffectiveClasses.Contains(Enum.Parse<StatementClass>(argument))),
            "writes" => statements.Any(s => s.RelationsWritten.Contains(argument)),
            "reads" => statements.Any(s => s.RelationsRead.Contains(argument)),
            "not-writes" => analysis.Parsed && statements.All(s => !s.RelationsWritten.Contains(argument)),
            "function" => statements.Any(s => s.Functions.Contains(argument)),
            "dynamic" => statements.Any(s => s.HasDynamicSql),
            "outside" => statements.Any(s => s.ReachesOutside),
            "unrecognised" => statements.Any(s => s.Unrecognised),
            "unqualified" => statements.Any(s => s.HasUnqualifiedRelations),
            "prepared" => statements.Any(s => s.PreparedName == argument && !s.IsExecute),
            "execute" => statements.Any(s => s.PreparedName == argument && s.IsExecute),
            "setting" => statements.Any(s => s.Settings.Any(change => SettingMatches(change, argument))),
            _ => throw new InvalidDataException($"unknown expectation '{expectation}'"),
        };
    }

    /// <summary>"?" = a change of an unnamed setting; "name" = any change of it; "name=value" = set to that literal.</summary>
    private static bool SettingMatches(SettingChange change, string argument)
    {
        if (argument == "?")
        {
            return change.Name is null;
        }

        var equals = argument.IndexOf('=');
        return equals < 0
            ? change.Name == argument
            : change.Name == argument[..equals] && change.Value == argument[(equals + 1)..];
    }

    private static string CorpusDirectory([CallerFilePath] string sourceFile = "") => Path.Combine(Path.GetDirectoryName(sourceFile)!, "Corpus");
}
