using HoopProxy.Postgres.Sql;

namespace HoopProxy.Postgres.Policy;

/// <summary>
/// The rules of <c>Policies</c>, in order, and how they judge a statement: first match wins, then the target's
/// default. A batch (several statements in one Query) is judged whole before any of it runs and gets the most
/// severe verdict of its statements. What cannot be read or classified is blocked.
/// </summary>
public sealed class StatementPolicy
{
    public static readonly StatementPolicy Empty = new([]);

    public StatementPolicy(IReadOnlyList<PolicyRule> rules)
    {
        Rules = rules;
    }

    public IReadOnlyList<PolicyRule> Rules { get; }

    public PolicyVerdict Evaluate(PolicySubject subject, SqlAnalysis analysis, PolicyAction targetDefault)
    {
        if (!analysis.Parsed)
        {
            return new PolicyVerdict(PolicyAction.Block, null, $"the proxy could not parse the statement, so it cannot judge it: {analysis.Error}");
        }

        PolicyVerdict? worst = null;
        foreach (var statement in analysis.Statements)
        {
            var verdict = Evaluate(subject, statement, targetDefault);
            if (worst is null || verdict.Action > worst.Action)
            {
                worst = verdict;
            }
        }

        return worst ?? Default(targetDefault);
    }

    public PolicyVerdict Evaluate(PolicySubject subject, StatementInfo statement, PolicyAction targetDefault)
    {
        if (statement.Unrecognised)
        {
            return new PolicyVerdict(PolicyAction.Block, null, $"the proxy does not recognise the statement type {statement.CommandTag}, so it cannot judge it");
        }

        if (UnsafeSetting(statement) is { } setting)
        {
            return new PolicyVerdict(PolicyAction.Block, null, setting);
        }

        if (statement.HasDynamicSql && JudgeDynamicSql(subject, statement) is { } dynamicVerdict)
        {
            return dynamicVerdict;
        }

        foreach (var rule in Rules)
        {
            if (rule.Match.MatchesSubject(subject) && rule.Match.MatchesStatement(statement))
            {
                return new PolicyVerdict(rule.Action, rule, Describe(rule, statement));
            }
        }

        return Default(targetDefault);
    }

    /// <summary>
    /// SQL known only at run time (EXECUTE of a string, dblink, another language) could be anything, so it matches
    /// every Block rule that applies to the user — and, when none does, every Review rule — unless an Allow rule with
    /// <c>DynamicSql: true</c> lets this user run it first.
    /// </summary>
    private PolicyVerdict? JudgeDynamicSql(PolicySubject subject, StatementInfo statement)
    {
        PolicyRule? review = null;
        foreach (var rule in Rules)
        {
            if (!rule.Match.MatchesSubject(subject))
            {
                continue;
            }

            if (rule.Action == PolicyAction.Allow && rule.Match.DynamicSql == true && rule.Match.MatchesStatement(statement))
            {
                return new PolicyVerdict(PolicyAction.Allow, rule, $"rule \"{rule.Name}\" allows SQL built at run time");
            }

            if (rule.Action == PolicyAction.Block)
            {
                return new PolicyVerdict(PolicyAction.Block, rule,
                    $"the statement runs SQL that is only known at run time, which could do what rule \"{rule.Name}\" forbids");
            }

            review ??= rule.Action == PolicyAction.Review ? rule : null;
        }

        return review is null ? null : new PolicyVerdict(PolicyAction.Review, review,
            $"the statement runs SQL that is only known at run time, which could do what rule \"{review.Name}\" holds for approval");
    }

    /// <summary>The parser and the server must read the same text: turning these settings is refused outright.</summary>
    private static string? UnsafeSetting(StatementInfo statement)
    {
        foreach (var change in statement.Settings)
        {
            if (change.Kind == SettingChangeKind.Reset)
            {
                continue;
            }

            switch (change.Name?.ToLowerInvariant())
            {
                case null:
                    return "the statement changes a setting the proxy cannot name; standard_conforming_strings and client_encoding must stay as they are";
                case "standard_conforming_strings" when !change.IsValueKnown || !IsOn(change.Value):
                    return "standard_conforming_strings must stay on: with it off the server reads backslashes in strings differently from the proxy";
                case "client_encoding" when !change.IsValueKnown || !SessionEncodings.IsSafeClientEncoding(change.Value):
                    return $"client_encoding must stay UTF8 (asked for {change.Value ?? "a value known only at run time"}): the proxy reads statements as UTF-8";
            }
        }

        return null;
    }

    private static bool IsOn(string? value) => value?.ToLowerInvariant() is "on" or "true" or "yes" or "1" or "default";

    private static string Describe(PolicyRule rule, StatementInfo statement)
    {
        var touched = statement.RelationsWritten.Concat(statement.RelationsRead).Distinct().ToArray();
        var what = touched.Length > 0 ? $"{statement.CommandTag} on {string.Join(", ", touched)}" : statement.CommandTag;
        return $"rule \"{rule.Name}\" ({rule.Action.ToString().ToLowerInvariant()}s {what})";
    }

    private static PolicyVerdict Default(PolicyAction targetDefault) => targetDefault == PolicyAction.Allow
        ? PolicyVerdict.AllowByDefault
        : new PolicyVerdict(targetDefault, null, $"no rule allows it and the target's default is {targetDefault}");
}
