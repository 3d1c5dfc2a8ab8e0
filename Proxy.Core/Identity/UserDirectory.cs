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

    /// <summary>
    /// Reads the <c>Users</c> section: <c>{ "alice": { "Password": "…", "Groups": [ … ], "AuthorizedKeys": [ "ssh-ed25519 AAAA… alice@laptop" ] } }</c>.
    /// A user needs a password, public keys, or both (a key-only user cannot log in to PostgreSQL listeners).
    /// </summary>
    public static UserDirectory FromConfiguration(IConfigurationSection users)
    {
        var list = new List<ProxyUser>();
        foreach (var entry in users.GetChildren())
        {
            entry.RejectUnknownKeys(["Password", "Groups", "AuthorizedKeys"]);
            var password = entry.OptionalString("Password");
            var keys = entry.StringList("AuthorizedKeys");
            if (password is null && keys.Count == 0)
            {
                throw new ConfigurationException(ConfigReader.Path(entry, "Password"), "is required unless AuthorizedKeys are given (users authenticate to the proxy with it)");
            }

            list.Add(new ProxyUser(entry.Key, password, entry.StringList("Groups")) { AuthorizedKeys = keys });
        }

        return new UserDirectory(list);
    }
}
