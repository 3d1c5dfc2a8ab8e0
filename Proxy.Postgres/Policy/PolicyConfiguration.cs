using System.Text.RegularExpressions;
using HoopProxy.Core.Configuration;
using HoopProxy.Postgres.Sql;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Postgres.Policy;

/// <summary>Reads the <c>Policies</c> list; every mistake is reported with the key it is in, and a bad list is rejected whole.</summary>
public static class PolicyConfiguration
{
    /// <summary>Long enough for any sane pattern over a statement; a pathological one counts as a match instead of stalling the session.</summary>
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    private static readonly string[] MatchKeys = ["Targets", "Users", "Groups", "Classes", "Commands", "Relations", "Functions", "Pattern", "DynamicSql", "ReachesOutside"];
    private static readonly string[] RuleKeys = ["Name", "Action", "Match", "Approvers", "Timeout"];

    public static StatementPolicy FromConfiguration(IConfigurationSection policies)
    {
        var rules = new List<PolicyRule>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in policies.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            entry.RejectUnknownKeys(RuleKeys);
            var rule = ReadRule(entry);
            if (!names.Add(rule.Name))
            {
                throw new ConfigurationException(ConfigReader.Path(entry, "Name"), $"\"{rule.Name}\" is used by an earlier rule; rule names must be unique");
            }

            rules.Add(rule);
        }

        return new StatementPolicy(rules);
    }

    private static PolicyRule ReadRule(IConfigurationSection entry)
    {
        var name = entry.RequiredString("Name");
        var actionText = entry.RequiredString("Action");
        if (string.Equals(actionText, "Mask", StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigurationException(ConfigReader.Path(entry, "Action"), "Mask rules belong in the Masking section");
        }

        var action = entry.Enum("Action", PolicyAction.Allow);
        var match = ReadMatch(entry.GetSection("Match"));
        var approvers = entry.StringList("Approvers");
        if (action == PolicyAction.Review && approvers.Count == 0)
        {
            throw new ConfigurationException(ConfigReader.Path(entry, "Approvers"), "a Review rule needs at least one approver group or user");
        }

        return new PolicyRule
        {
            Name = name,
            Action = action,
            Match = match,
            Approvers = approvers,
            Timeout = entry.Duration("Timeout", TimeSpan.FromMinutes(5)),
        };
    }

    private static PolicyMatch ReadMatch(IConfigurationSection match)
    {
        match.RejectUnknownKeys(MatchKeys);
        var pattern = match.OptionalString("Pattern");
        return new PolicyMatch
        {
            Targets = match.StringList("Targets"),
            Users = match.StringList("Users"),
            Groups = match.StringList("Groups"),
            Classes = match.StringList("Classes").Select(c => ParseClass(match, c)).ToArray(),
            Commands = match.StringList("Commands").Select(NormalizeCommand).ToArray(),
            Relations = match.StringList("Relations").Select(RelationPattern.Parse).ToArray(),
            Functions = match.StringList("Functions").Select(f => f.ToLowerInvariant()).ToArray(),
            Pattern = pattern is null ? null : Compile(match, pattern),
            DynamicSql = OptionalBool(match, "DynamicSql"),
            ReachesOutside = OptionalBool(match, "ReachesOutside"),
        };
    }

    private static StatementClass ParseClass(IConfigurationSection match, string text) => text.ToUpperInvariant() switch
    {
        "READ" => StatementClass.Read,
        "WRITE" => StatementClass.Write,
        "FUNCTION" => StatementClass.Function,
        "ROLE" => StatementClass.Role,
        "DDL" => StatementClass.Ddl,
        "MISC" => StatementClass.Misc,
        _ => throw new ConfigurationException(ConfigReader.Path(match, "Classes"), $"'{text}' is not one of READ, WRITE, FUNCTION, ROLE, DDL, MISC"),
    };

    /// <summary>Command tags as PostgreSQL writes them: upper case, single spaces ("drop  database" → "DROP DATABASE").</summary>
    private static string NormalizeCommand(string text) =>
        string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToUpperInvariant();

    private static Regex Compile(IConfigurationSection match, string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, PatternTimeout);
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException(ConfigReader.Path(match, "Pattern"), $"is not a valid regular expression: {e.Message}");
        }
    }

    private static bool? OptionalBool(IConfigurationSection section, string key) =>
        section[key] is null ? null : section.Bool(key, false);
}
