namespace HoopProxy.Postgres.Sql;

/// <summary>
/// The mutable accumulator behind one <see cref="StatementInfo"/>: every walker (SQL tree, PL/pgSQL tree, routine
/// bodies) adds what it finds here, so nested statements merge into their outer statement by construction.
/// Lists keep first-seen order and hold each value once; they are short, so a linear Contains is the cheapest set.
/// </summary>
internal sealed class StatementFacts
{
    private readonly List<string> _commands = [];
    private readonly List<StatementClass> _classes = [];
    private readonly List<string> _read = [];
    private readonly List<string> _written = [];
    private readonly List<string> _functions = [];
    private readonly List<SettingChange> _settings = [];

    public bool HasUnqualifiedRelations { get; set; }

    public bool HasDynamicSql { get; set; }

    public bool ReachesOutside { get; set; }

    public bool Unrecognised { get; set; }

    public string? PreparedName { get; set; }

    public bool IsExecute { get; set; }

    public void AddCommand(string tag, StatementClass statementClass)
    {
        AddOnce(_commands, tag);
        AddOnce(_classes, statementClass);
    }

    public void AddRelation(string qualifiedName, bool written) => AddOnce(written ? _written : _read, qualifiedName);

    public void AddFunction(string name) => AddOnce(_functions, name);

    public void AddSetting(SettingChange change) => AddOnce(_settings, change);

    public StatementInfo ToInfo(string text, string commandTag, StatementClass statementClass) => new()
    {
        Text = text,
        Class = statementClass,
        CommandTag = commandTag,
        EffectiveCommands = _commands.ToArray(),
        EffectiveClasses = _classes.ToArray(),
        RelationsRead = _read.ToArray(),
        RelationsWritten = _written.ToArray(),
        HasUnqualifiedRelations = HasUnqualifiedRelations,
        Functions = _functions.ToArray(),
        HasDynamicSql = HasDynamicSql,
        ReachesOutside = ReachesOutside,
        PreparedName = PreparedName,
        IsExecute = IsExecute,
        Settings = _settings.ToArray(),
        Unrecognised = Unrecognised,
    };

    private static void AddOnce<T>(List<T> list, T value)
    {
        if (!list.Contains(value))
        {
            list.Add(value);
        }
    }
}
