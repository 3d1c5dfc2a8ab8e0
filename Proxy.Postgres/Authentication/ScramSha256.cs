using System.Security.Cryptography;
using System.Text;

namespace HoopProxy.Postgres.Authentication;

/// <summary>The key derivation of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it.</summary>
public static class ScramSha256
{
    public const string Mechanism = "SCRAM-SHA-256";
    public const int DefaultIterations = 4096;

    /// <summary>"n,," base64-encoded: the GS2 header of a client that does not use channel binding.</summary>
    public const string NoChannelBindingHeader = "biws";

    public static byte[] SaltedPassword(string password, ReadOnlySpan<byte> salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);

    public static byte[] ClientKey(ReadOnlySpan<byte> saltedPassword) => HMACSHA256.HashData(saltedPassword, "Client Key"u8);

    public static byte[] ServerKey(ReadOnlySpan<byte> saltedPassword) => HMACSHA256.HashData(saltedPassword, "Server Key"u8);

    public static byte[] StoredKey(ReadOnlySpan<byte> clientKey) => SHA256.HashData(clientKey);

    public static byte[] Signature(ReadOnlySpan<byte> key, string authMessage) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(authMessage));

    public static string NewNonce()
    {
        Span<byte> bytes = stackalloc byte[18];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>Splits "a=1,b=2" into attributes; a value may itself contain '=' (base64 padding).</summary>
    public static Dictionary<char, string> ParseAttributes(string message)
    {
        var attributes = new Dictionary<char, string>();
        foreach (var part in message.Split(','))
        {
            if (part.Length >= 2 && part[1] == '=')
            {
                attributes[part[0]] = part[2..];
            }
        }

        return attributes;
    }
}

/// <summary>The SCRAM verifier of a proxy user (salt, iterations, StoredKey, ServerKey), from which the exchange is checked.</summary>
public sealed record ScramVerifier(byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey)
{
    public static ScramVerifier FromPassword(string password, int iterations = ScramSha256.DefaultIterations, byte[]? salt = null)
    {
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = ScramSha256.SaltedPassword(password, salt, iterations);
        return new ScramVerifier(salt, iterations, ScramSha256.StoredKey(ScramSha256.ClientKey(salted)), ScramSha256.ServerKey(salted));
    }
}
