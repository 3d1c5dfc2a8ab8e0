namespace HoopProxy.Postgres.Sql;

/// <summary>How a statement changes a tracked setting.</summary>
public enum SettingChangeKind
{
    /// <summary><c>SET name = value</c>, <c>SET NAMES</c>, <c>set_config(name, value, …)</c>, an UPDATE of <c>pg_settings</c>.</summary>
    Set,

    /// <summary><c>RESET name</c>, <c>RESET ALL</c>, <c>SET name TO DEFAULT</c>: back to the session default, which the statement does not show.</summary>
    Reset,
}

/// <summary>
/// A change of a setting the session must watch (<c>standard_conforming_strings</c>, <c>client_encoding</c>).
/// </summary>
/// <param name="Name">
/// The setting, lower-case; <see langword="null"/> when the statement names it by an expression the parser cannot evaluate
/// (<c>set_config($1, …)</c>, an UPDATE of <c>pg_settings</c>): it may be any setting, including the watched ones.
/// </param>
/// <param name="Kind">Set or reset.</param>
/// <param name="Value">The new value as written (a literal), or <see langword="null"/> when it is not a literal or the change is a reset.</param>
public sealed record SettingChange(string? Name, SettingChangeKind Kind, string? Value)
{
    /// <summary>True when the new value is known from the text itself.</summary>
    public bool IsValueKnown => Kind == SettingChangeKind.Set && Value is not null;
}
