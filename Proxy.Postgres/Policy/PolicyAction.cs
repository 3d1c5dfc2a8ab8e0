namespace HoopProxy.Postgres.Policy;

/// <summary>What a rule does with a statement it matches. Ordered by severity: a batch gets its most severe verdict.</summary>
public enum PolicyAction
{
    Allow = 0,
    Review = 1,
    Block = 2,
}
