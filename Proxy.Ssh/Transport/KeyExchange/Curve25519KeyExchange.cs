using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// curve25519-sha256 and its older name curve25519-sha256@libssh.org (RFC 8731): Q_C and Q_S are 32-byte X25519 public
/// keys; K is the 32-byte X25519 output read as an unsigned big-endian number and written as an mpint (§3.1), so a
/// leading zero byte disappears and a set top bit gains one.
/// </summary>
public sealed class Curve25519KeyExchange : IKeyExchangeMethod
{
    public const string Sha256Name = "curve25519-sha256";
    public const string LibsshName = "curve25519-sha256@libssh.org";

    public Curve25519KeyExchange(string name) => Name = name;

    public string Name { get; }

    public HashAlgorithmName Hash => HashAlgorithmName.SHA256;

    public IKeyExchangeClient CreateClient() => new Client(Name, new X25519KeyPair());

    public KeyExchangeResponse Respond(ReadOnlySpan<byte> clientValue)
    {
        KeyExchangeFailure.RequireLength(clientValue, X25519KeyPair.Size, Name, "Q_C");
        using var server = new X25519KeyPair();
        return new KeyExchangeResponse(server.PublicKey, Agree(server, clientValue, Name));
    }

    internal static SharedSecret Agree(X25519KeyPair ours, ReadOnlySpan<byte> peerPublicKey, string method)
    {
        Span<byte> secret = stackalloc byte[X25519KeyPair.Size];
        try
        {
            ours.Agree(peerPublicKey, secret, method);
            return SharedSecret.FromMpintMagnitude(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private sealed class Client(string method, X25519KeyPair keys) : IKeyExchangeClient
    {
        private bool _used;

        public ReadOnlyMemory<byte> ClientValue => keys.PublicKey;

        public SharedSecret ComputeSharedSecret(ReadOnlySpan<byte> serverValue)
        {
            KeyExchangeFailure.UseOnce(ref _used, method);
            try
            {
                KeyExchangeFailure.RequireLength(serverValue, X25519KeyPair.Size, method, "Q_S");
                return Agree(keys, serverValue, method);
            }
            finally
            {
                keys.Dispose();
            }
        }

        public void Dispose() => keys.Dispose();
    }
}
