using System.Collections.Frozen;
using HoopProxy.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace HoopProxy.Core.Identity;

/// <summary>The proxy users from configuration, looked up by name (case-sensitive, as PostgreSQL role names are).</summary>
public sealed class UserDirectory
{
    private readonly FrozenDictionary<string, ProxyUser> _users;

    public UserDirectory(IEnumerable<ProxyUser> users)
    {
        _users = users.ToFrozenDictionary(u => u.Name, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<ProxyUser> All => _users.Values;

    public bool TryFind(string name, out ProxyUser user) => _users.TryGetValue(name, out user!);

    /// <summary>Reads the <c>Users</c> section: <c>{ "alice": { "Password": "…", "Groups": [ … ] } }</c>.</summary>
    public static UserDirectory FromConfiguration(IConfigurationSection users)
    {
        var list = new List<ProxyUser>();
        foreach (var entry in users.GetChildren())
        {
            var password = entry.OptionalString("Password");
            if (password is null)
            {
                throw new ConfigurationException(ConfigReader.Path(entry, "Password"), "is required (users authenticate to the proxy with it)");
            }

            list.Add(new ProxyUser(entry.Key, password, entry.StringList("Groups")));
        }

        return new UserDirectory(list);
    }
}
