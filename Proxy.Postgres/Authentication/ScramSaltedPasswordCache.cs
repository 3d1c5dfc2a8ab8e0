using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace HoopProxy.Postgres.Authentication;

/// <summary>
/// The proxy logs in to the same target with the same password for every client connection, and PostgreSQL keeps one
/// salt and iteration count per role, so SCRAM's PBKDF2 (4096 rounds of HMAC-SHA-256, about a millisecond of CPU) would
/// compute the same SaltedPassword each time. It is computed once per password, salt and iteration count. Bounded: a
/// target that sends a new salt each time (hostile, or a role whose password keeps changing) empties it rather than
/// growing it. The password is keyed by its SHA-256, and nothing leaves the process.
/// </summary>
public sealed class ScramSaltedPasswordCache(int capacity = 256)
{
    private readonly ConcurrentDictionary<(string Password, string Salt, int Iterations), byte[]> _salted = new();

    public int Count => _salted.Count;

    public byte[] SaltedPassword(string password, byte[] salt, int iterations)
    {
        var key = (Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(password))), Convert.ToBase64String(salt), iterations);
        if (_salted.TryGetValue(key, out var salted))
        {
            return salted;
        }

        salted = ScramSha256.SaltedPassword(password, salt, iterations);
        if (_salted.Count >= capacity)
        {
            _salted.Clear();
        }

        _salted[key] = salted;
        return salted;
    }
}
