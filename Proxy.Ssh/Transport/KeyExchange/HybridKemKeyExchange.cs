using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// The hybrid post-quantum methods as OpenSSH implements them (kexmlkem768x25519.c, kexsntrup761x25519.c; for
/// mlkem768x25519-sha256 also draft-ietf-sshm-mlkem-hybrid-kex):
/// <list type="bullet">
/// <item>Q_C = KEM encapsulation key || client X25519 public key;</item>
/// <item>Q_S = KEM ciphertext || server X25519 public key;</item>
/// <item>K = HASH(KEM secret || raw 32-byte X25519 secret), written as a <b>string</b>, not an mpint: a hash output
/// with a leading zero byte or a set top bit would otherwise be written differently and the peers' keys would differ
/// in one exchange out of about 128.</item>
/// </list>
/// An all-zero X25519 result is refused as in curve25519-sha256, so a broken KEM alone cannot make K predictable.
/// </summary>
public sealed class HybridKemKeyExchange : IKeyExchangeMethod
{
    public const string MlKem768X25519Sha256Name = "mlkem768x25519-sha256";
    public const string Sntrup761X25519Sha512Name = "sntrup761x25519-sha512";
    public const string Sntrup761X25519Sha512OpenSshName = "sntrup761x25519-sha512@openssh.com";

    private readonly IKeyEncapsulation _kem;

    private HybridKemKeyExchange(string name, HashAlgorithmName hash, IKeyEncapsulation kem)
    {
        Name = name;
        Hash = hash;
        _kem = kem;
    }

    public static HybridKemKeyExchange MlKem768X25519Sha256() =>
        new(MlKem768X25519Sha256Name, HashAlgorithmName.SHA256, MlKem768.Instance);

    /// <summary><paramref name="name"/>: the RFC-style name or OpenSSH's older @openssh.com one; the two are the same method.</summary>
    public static HybridKemKeyExchange Sntrup761X25519Sha512(string name = Sntrup761X25519Sha512Name) =>
        new(name, HashAlgorithmName.SHA512, Sntrup761.Instance);

    public string Name { get; }

    public HashAlgorithmName Hash { get; }

    private int ClientValueLength => _kem.EncapsulationKeyLength + X25519KeyPair.Size;

    private int ServerValueLength => _kem.CiphertextLength + X25519KeyPair.Size;

    public IKeyExchangeClient CreateClient()
    {
        var (encapsulationKey, privateKey) = _kem.GenerateKeyPair();
        var x25519 = new X25519KeyPair();
        var clientValue = new byte[ClientValueLength];
        encapsulationKey.CopyTo(clientValue, 0);
        x25519.PublicKey.CopyTo(clientValue, encapsulationKey.Length);
        return new Client(this, clientValue, privateKey, x25519);
    }

    public KeyExchangeResponse Respond(ReadOnlySpan<byte> clientValue)
    {
        KeyExchangeFailure.RequireLength(clientValue, ClientValueLength, Name, "Q_C");
        var encapsulationKey = clientValue[.._kem.EncapsulationKeyLength];
        var clientX25519 = clientValue[_kem.EncapsulationKeyLength..];

        // KEM secret and X25519 secret side by side: the input of the hash that becomes K.
        Span<byte> secrets = stackalloc byte[_kem.SecretLength + X25519KeyPair.Size];
        try
        {
            using var server = new X25519KeyPair();
            var ciphertext = _kem.Encapsulate(encapsulationKey, secrets[.._kem.SecretLength]);
            server.Agree(clientX25519, secrets[_kem.SecretLength..], Name);

            var serverValue = new byte[ServerValueLength];
            ciphertext.CopyTo(serverValue, 0);
            server.PublicKey.CopyTo(serverValue, ciphertext.Length);
            return new KeyExchangeResponse(serverValue, Combine(secrets));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secrets);
        }
    }

    /// <summary>K = string(HASH(KEM secret || X25519 secret)).</summary>
    private SharedSecret Combine(ReadOnlySpan<byte> secrets)
    {
        Span<byte> digest = stackalloc byte[64];
        try
        {
            var length = CryptographicOperations.HashData(Hash, secrets, digest);
            return SharedSecret.FromString(digest[..length]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(digest);
        }
    }

    private sealed class Client(HybridKemKeyExchange method, byte[] clientValue, object kemPrivateKey, X25519KeyPair x25519) : IKeyExchangeClient
    {
        // BouncyCastle's KEM private key objects cannot be zeroed from outside; we drop our reference once it is used.
        private object? _kemPrivateKey = kemPrivateKey;
        private bool _used;

        public ReadOnlyMemory<byte> ClientValue => clientValue;

        public SharedSecret ComputeSharedSecret(ReadOnlySpan<byte> serverValue)
        {
            KeyExchangeFailure.UseOnce(ref _used, method.Name);
            var kem = method._kem;
            Span<byte> secrets = stackalloc byte[kem.SecretLength + X25519KeyPair.Size];
            try
            {
                KeyExchangeFailure.RequireLength(serverValue, method.ServerValueLength, method.Name, "Q_S");
                kem.Decapsulate(_kemPrivateKey!, serverValue[..kem.CiphertextLength], secrets[..kem.SecretLength]);
                x25519.Agree(serverValue[kem.CiphertextLength..], secrets[kem.SecretLength..], method.Name);
                return method.Combine(secrets);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secrets);
                Dispose();
            }
        }

        public void Dispose()
        {
            _kemPrivateKey = null;
            x25519.Dispose();
        }
    }
}
