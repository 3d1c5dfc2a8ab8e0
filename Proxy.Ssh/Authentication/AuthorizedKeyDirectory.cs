using System.Collections.Frozen;
using HoopProxy.Core.Configuration;
using HoopProxy.Core.Identity;
using HoopProxy.Ssh.Keys;

namespace HoopProxy.Ssh.Authentication;

/// <summary>
/// Each proxy user's <c>AuthorizedKeys</c> parsed once at start (a bad line is a configuration error naming the user),
/// so a login compares key blobs instead of parsing text.
/// </summary>
public sealed class AuthorizedKeyDirectory
{
    private readonly FrozenDictionary<string, SshPublicKey[]> _keys;

    private AuthorizedKeyDirectory(FrozenDictionary<string, SshPublicKey[]> keys) => _keys = keys;

    public static AuthorizedKeyDirectory From(UserDirectory users)
    {
        ArgumentNullException.ThrowIfNull(users);
        var keys = new Dictionary<string, SshPublicKey[]>(StringComparer.Ordinal);
        foreach (var user in users.All)
        {
            keys[user.Name] = user.AuthorizedKeys.Select((line, i) =>
            {
                try
                {
                    return AuthorizedKey.Parse(line).Key;
                }
                catch (FormatException e)
                {
                    throw new ConfigurationException($"Users:{user.Name}:AuthorizedKeys:{i}", e.Message);
                }
            }).ToArray();
        }

        return new AuthorizedKeyDirectory(keys.ToFrozenDictionary(StringComparer.Ordinal));
    }

    public bool IsAuthorized(string user, ReadOnlySpan<byte> keyBlob)
    {
        if (!_keys.TryGetValue(user, out var keys))
        {
            return false;
        }

        foreach (var key in keys)
        {
            if (key.Blob.Span.SequenceEqual(keyBlob))
            {
                return true;
            }
        }

        return false;
    }
}
