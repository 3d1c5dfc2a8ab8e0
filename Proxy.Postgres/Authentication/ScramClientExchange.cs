using System.Security.Cryptography;

namespace HoopProxy.Postgres.Authentication;

/// <summary>The client side of SCRAM-SHA-256, used to log in to a target; verifies the server's signature too.</summary>
public sealed class ScramClientExchange
{
    private readonly string _password;
    private readonly string _clientNonce;
    private readonly string _userName;
    private byte[] _expectedServerSignature = [];

    /// <param name="cache">Where the PBKDF2 result is kept between logins with the same password and salt; none when null.</param>
    public ScramClientExchange(string password, ScramSaltedPasswordCache? cache = null)
        : this(password, ScramSha256.NewNonce(), "")
    {
        _cache = cache;
    }

    private readonly ScramSaltedPasswordCache? _cache;

    /// <summary>
    /// Fixes the nonce and the SCRAM user name so published test vectors (RFC 7677 uses "n=user") can be
    /// replayed; PostgreSQL clients send an empty name because the startup packet already carries it.
    /// </summary>
    internal ScramClientExchange(string password, string clientNonce, string userName)
    {
        _password = password;
        _clientNonce = clientNonce;
        _userName = userName;
    }

    public string ClientFirstBare => $"n={_userName},r={_clientNonce}";

    public string ClientFirst => "n,," + ClientFirstBare;

    /// <summary>True once the server's final message carried the right signature.</summary>
    public bool IsServerVerified { get; private set; }

    /// <summary>
    /// The most PBKDF2 rounds the proxy will spend for a target: far above any real setting
    /// (PostgreSQL's default is 4096), low enough that a hostile target cannot stall a login for minutes.
    /// </summary>
    public const int MaxIterations = 1_000_000;

    /// <summary>Takes server-first, returns client-final; throws when the server's answer is not acceptable.</summary>
    public string HandleServerFirst(string serverFirst)
    {
        var attributes = ScramSha256.ParseAttributes(serverFirst);
        // The server must add its own nonce: one that merely echoes ours would let a replay through.
        if (!attributes.TryGetValue('r', out var nonce) || nonce.Length <= _clientNonce.Length || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal)
            || !attributes.TryGetValue('s', out var saltText) || !attributes.TryGetValue('i', out var iterationText)
            || !int.TryParse(iterationText, System.Globalization.CultureInfo.InvariantCulture, out var iterations) || iterations < 1
            || !TryDecodeBase64(saltText, out var salt) || salt.Length == 0)
        {
            throw new AuthenticationException("the target sent an invalid SCRAM server-first message");
        }

        if (iterations > MaxIterations)
        {
            throw new AuthenticationException($"the target asks for {iterations} SCRAM iterations, more than the proxy allows ({MaxIterations})");
        }

        var salted = _cache?.SaltedPassword(_password, salt, iterations) ?? ScramSha256.SaltedPassword(_password, salt, iterations);
        var clientKey = ScramSha256.ClientKey(salted);
        var withoutProof = $"c={ScramSha256.NoChannelBindingHeader},r={nonce}";
        var authMessage = $"{ClientFirstBare},{serverFirst},{withoutProof}";
        var clientSignature = ScramSha256.Signature(ScramSha256.StoredKey(clientKey), authMessage);
        var proof = new byte[32];
        for (var i = 0; i < 32; i++)
        {
            proof[i] = (byte)(clientKey[i] ^ clientSignature[i]);
        }

        _expectedServerSignature = ScramSha256.Signature(ScramSha256.ServerKey(salted), authMessage);
        return $"{withoutProof},p={Convert.ToBase64String(proof)}";
    }

    /// <summary>Proves the target knows the password too (a man in the middle would not).</summary>
    public void VerifyServerFinal(string serverFinal)
    {
        var attributes = ScramSha256.ParseAttributes(serverFinal);
        if (_expectedServerSignature.Length == 0
            || !attributes.TryGetValue('v', out var signatureText)
            || !TryDecodeBase64(signatureText, out var signature)
            || !CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
        {
            throw new AuthenticationException("the target's SCRAM server signature is wrong");
        }

        IsServerVerified = true;
    }

    private static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
