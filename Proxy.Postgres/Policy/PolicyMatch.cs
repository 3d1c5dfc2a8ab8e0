using System.Text.RegularExpressions;
using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Policy;

/// <summary>
/// A rule's conditions. Fields combine with AND, entries of a list with OR; an empty list does not constrain.
/// Who (<see cref="Targets"/>, <see cref="Users"/>, <see cref="Groups"/>) is checked apart from what, because a
/// statement whose SQL is only known at run time matches every Block rule whose "who" matches.
/// </summary>
public sealed record PolicyMatch
{
    public IReadOnlyList<string> Targets { get; init; } = [];
    public IReadOnlyList<string> Users { get; init; } = [];
    public IReadOnlyList<string> Groups { get; init; } = [];
    public IReadOnlyList<StatementClass> Classes { get; init; } = [];

    /// <summary>Command tags, upper case with single spaces ("DROP DATABASE").</summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>Relations as <see cref="RelationPattern"/>s: "schema.name" or "schema.*".</summary>
    public IReadOnlyList<RelationPattern> Relations { get; init; } = [];

    /// <summary>Function names; an unqualified name matches the function in any schema.</summary>
    public IReadOnlyList<string> Functions { get; init; } = [];

    /// <summary>A regular expression on the statement's text, for what the tree cannot express.</summary>
    public Regex? Pattern { get; init; }

    /// <summary>When set, the statement must (true) or must not (false) run SQL only known at run time.</summary>
    public bool? DynamicSql { get; init; }

    /// <summary>When set, the statement must (true) or must not (false) reach outside the database (files, programs, other servers).</summary>
    public bool? ReachesOutside { get; init; }

    public bool MatchesSubject(PolicySubject subject) =>
        (Targets.Count == 0 || Targets.Contains(subject.Target, StringComparer.Ordinal))
        && (Users.Count == 0 || Users.Contains(subject.User, StringComparer.Ordinal))
        && (Groups.Count == 0 || Groups.Any(g => subject.Groups.Contains(g, StringComparer.Ordinal)));

    public bool MatchesStatement(StatementInfo statement) =>
        (Classes.Count == 0 || Classes.Any(statement.EffectiveClasses.Contains))
        && (Commands.Count == 0 || Commands.Any(c => statement.EffectiveCommands.Any(tag => CommandMatches(c, tag))))
        && (Relations.Count == 0 || Relations.Any(r => r.MatchesAny(statement.RelationsRead) || r.MatchesAny(statement.RelationsWritten)))
        && (Functions.Count == 0 || Functions.Any(f => statement.Functions.Any(called => FunctionNameMatches(f, called))))
        && (DynamicSql is not { } dynamic || dynamic == statement.HasDynamicSql)
        && (ReachesOutside is not { } outside || outside == statement.ReachesOutside)
        && (Pattern is null || Matches(Pattern, statement.Text));

    /// <summary>
    /// A rule's command matches a tag equal to it or the tag's leading words: "TRUNCATE" matches PostgreSQL's
    /// "TRUNCATE TABLE", "DROP" every DROP …, "DROP TABLE" only DROP TABLE.
    /// </summary>
    private static bool CommandMatches(string rule, string tag) =>
        tag.StartsWith(rule, StringComparison.OrdinalIgnoreCase) && (tag.Length == rule.Length || tag[rule.Length] == ' ');

    /// <summary>"pg_read_file" matches pg_read_file and pg_catalog.pg_read_file; "public.f" matches only public.f.</summary>
    private static bool FunctionNameMatches(string rule, string called)
    {
        if (string.Equals(rule, called, StringComparison.Ordinal))
        {
            return true;
        }

        var dot = called.LastIndexOf('.');
        return !rule.Contains('.', StringComparison.Ordinal) && dot >= 0 && string.Equals(rule, called[(dot + 1)..], StringComparison.Ordinal);
    }

    /// <summary>A pattern that runs too long (catastrophic backtracking) counts as a match: the rule errs on its own side.</summary>
    private static bool Matches(Regex pattern, string text)
    {
        try
        {
            return pattern.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return true;
        }
    }
}

/// <summary>
/// A relation in a rule: "schema.name" (as PostgreSQL stores it: unquoted names lower case) or "schema.*".
/// A statement touching "schema.*" (DROP SCHEMA … CASCADE) touches every relation of that schema, so it matches
/// any pattern in that schema.
/// </summary>
public sealed record RelationPattern(string Schema, string? Name)
{
    public static RelationPattern Parse(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        // An unqualified rule entry means the schema the parser assumes for unqualified statements: public.
        var (schema, name) = dot < 0 ? ("public", text) : (text[..dot], text[(dot + 1)..]);
        return new RelationPattern(Identifier(schema), name == "*" ? null : Identifier(name));
    }

    /// <summary>As PostgreSQL stores a name: unquoted folded to lower case ("public.Accounts" is public.accounts), "Quoted" kept.</summary>
    private static string Identifier(string part) =>
        part.Length >= 2 && part[0] == '"' && part[^1] == '"' ? part[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : part.ToLowerInvariant();

    public bool MatchesAny(IReadOnlyList<string> relations)
    {
        foreach (var relation in relations)
        {
            var dot = relation.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 || !relation.AsSpan(0, dot).SequenceEqual(Schema))
            {
                continue;
            }

            var name = relation.AsSpan(dot + 1);
            if (Name is null || name.SequenceEqual("*") || name.SequenceEqual(Name))
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => $"{Schema}.{Name ?? "*"}";
}
