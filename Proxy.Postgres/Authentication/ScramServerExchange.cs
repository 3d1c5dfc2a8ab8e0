using System.Security.Cryptography;
using System.Text;

namespace HoopProxy.Postgres.Authentication;

/// <summary>
/// The server side of one SCRAM-SHA-256 exchange (RFC 5802 §3). PostgreSQL ignores the SCRAM user name
/// (the startup packet names the user), and so do we. Channel binding is not offered, so a client that
/// insists on it ("p=") is refused.
/// </summary>
public sealed class ScramServerExchange
{
    private readonly ScramVerifier _verifier;
    private string _clientFirstBare = "";
    private string _serverFirst = "";
    private string _nonce = "";

    private readonly string? _serverNonce;

    public ScramServerExchange(ScramVerifier verifier)
    {
        _verifier = verifier;
    }

    /// <summary>Fixes the server's half of the nonce so published test vectors can be replayed.</summary>
    internal ScramServerExchange(ScramVerifier verifier, string serverNonce)
    {
        _verifier = verifier;
        _serverNonce = serverNonce;
    }

    /// <summary>Takes client-first, returns server-first; null when the message is malformed.</summary>
    public string? HandleClientFirst(string clientFirst)
    {
        // gs2-header: "n,," or "y,," (client could bind but we did not offer), then client-first-bare.
        if (!(clientFirst.StartsWith("n,", StringComparison.Ordinal) || clientFirst.StartsWith("y,", StringComparison.Ordinal)))
        {
            return null;
        }

        var secondComma = clientFirst.IndexOf(',', 2);
        if (secondComma < 0)
        {
            return null;
        }

        _clientFirstBare = clientFirst[(secondComma + 1)..];
        var attributes = ScramSha256.ParseAttributes(_clientFirstBare);
        if (!attributes.TryGetValue('r', out var clientNonce) || clientNonce.Length == 0)
        {
            return null;
        }

        _nonce = clientNonce + (_serverNonce ?? ScramSha256.NewNonce());
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_verifier.Salt)},i={_verifier.Iterations}";
        GsHeader = clientFirst[..(secondComma + 1)];
        return _serverFirst;
    }

    private string GsHeader { get; set; } = "n,,";

    /// <summary>Checks client-final; returns server-final ("v=…") when the proof is right, null otherwise.</summary>
    public string? HandleClientFinal(string clientFinal)
    {
        // Out of order (no client-first yet): nothing to check the proof against.
        if (_nonce.Length == 0)
        {
            return null;
        }

        var proofIndex = clientFinal.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofIndex < 0)
        {
            return null;
        }

        var withoutProof = clientFinal[..proofIndex];
        var attributes = ScramSha256.ParseAttributes(clientFinal);
        if (!attributes.TryGetValue('c', out var binding)
            || binding != Convert.ToBase64String(Encoding.UTF8.GetBytes(GsHeader))
            || !attributes.TryGetValue('r', out var nonce)
            || nonce != _nonce
            || !attributes.TryGetValue('p', out var proofText))
        {
            return null;
        }

        byte[] proof;
        try
        {
            proof = Convert.FromBase64String(proofText);
        }
        catch (FormatException)
        {
            return null;
        }

        if (proof.Length != 32)
        {
            return null;
        }

        var authMessage = $"{_clientFirstBare},{_serverFirst},{withoutProof}";
        var clientSignature = ScramSha256.Signature(_verifier.StoredKey, authMessage);
        var clientKey = new byte[32];
        for (var i = 0; i < 32; i++)
        {
            clientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
        }

        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(clientKey), _verifier.StoredKey))
        {
            return null;
        }

        return "v=" + Convert.ToBase64String(ScramSha256.Signature(_verifier.ServerKey, authMessage));
    }
}
