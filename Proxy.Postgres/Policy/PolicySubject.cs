namespace HoopProxy.Postgres.Policy;

/// <summary>Who runs a statement where: the authenticated identity, its groups, and the target's name.</summary>
public sealed record PolicySubject(string User, IReadOnlyList<string> Groups, string Target);
