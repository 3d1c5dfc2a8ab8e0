namespace HoopProxy.Postgres.Policy;

/// <summary>The decision for a statement or a batch: the action, the rule that decided (null for a target's default or fail-closed), and why.</summary>
public sealed record PolicyVerdict(PolicyAction Action, PolicyRule? Rule, string Reason)
{
    public static readonly PolicyVerdict AllowByDefault = new(PolicyAction.Allow, null, "no rule matched; the target's default allows it");

    public string RuleName => Rule?.Name ?? (Action == PolicyAction.Allow ? "(default)" : "(fail closed)");
}
