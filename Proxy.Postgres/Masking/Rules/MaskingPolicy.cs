using HoopProxy.Postgres.Policy;

namespace HoopProxy.Postgres.Masking.Rules;

/// <summary>The <c>Masking</c> list. Every rule whose match fits a session applies to it: they add up.</summary>
public sealed class MaskingPolicy
{
    public static readonly MaskingPolicy Empty = new([]);

    public MaskingPolicy(IReadOnlyList<MaskingRule> rules)
    {
        Rules = rules;
    }

    public IReadOnlyList<MaskingRule> Rules { get; }

    /// <summary>The rules for one session; null when none applies, so its results pass untouched.</summary>
    public SessionMasking? ForSession(PolicySubject subject)
    {
        var applicable = Rules.Where(r => r.Match.MatchesSubject(subject)).ToArray();
        return applicable.Length == 0 ? null : new SessionMasking(applicable);
    }
}
