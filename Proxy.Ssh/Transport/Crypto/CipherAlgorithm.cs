namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// An encryption algorithm of the key exchange's <c>encryption_algorithms</c> lists (RFC 4253 §7.1), with the sizes the
/// key derivation (RFC 4253 §7.2) must produce for it.
/// </summary>
public sealed class CipherAlgorithm
{
    public const string ChaCha20Poly1305Name = "chacha20-poly1305@openssh.com";
    public const string Aes128GcmName = "aes128-gcm@openssh.com";
    public const string Aes256GcmName = "aes256-gcm@openssh.com";
    public const string Aes128CtrName = "aes128-ctr";
    public const string Aes256CtrName = "aes256-ctr";

    public static readonly CipherAlgorithm ChaCha20Poly1305 = new(ChaCha20Poly1305Name, keyLength: ChaCha20Poly1305Protection.KeySize, ivLength: 0, blockSize: 8, isAuthenticated: true);
    public static readonly CipherAlgorithm Aes128Gcm = new(Aes128GcmName, keyLength: 16, ivLength: AesGcmProtection.NonceSize, blockSize: 16, isAuthenticated: true);
    public static readonly CipherAlgorithm Aes256Gcm = new(Aes256GcmName, keyLength: 32, ivLength: AesGcmProtection.NonceSize, blockSize: 16, isAuthenticated: true);
    public static readonly CipherAlgorithm Aes128Ctr = new(Aes128CtrName, keyLength: 16, ivLength: AesCtrKeystream.BlockSize, blockSize: 16, isAuthenticated: false);
    public static readonly CipherAlgorithm Aes256Ctr = new(Aes256CtrName, keyLength: 32, ivLength: AesCtrKeystream.BlockSize, blockSize: 16, isAuthenticated: false);

    /// <summary>
    /// What we offer, best first: chacha20-poly1305 (fast without AES instructions, no IV reuse risk, OpenSSH's own
    /// default), then AES-GCM, then AES-CTR for peers that have nothing else.
    /// </summary>
    public static IReadOnlyList<CipherAlgorithm> Preferred { get; } = [ChaCha20Poly1305, Aes128Gcm, Aes256Gcm, Aes128Ctr, Aes256Ctr];

    private CipherAlgorithm(string name, int keyLength, int ivLength, int blockSize, bool isAuthenticated)
    {
        Name = name;
        KeyLength = keyLength;
        IvLength = ivLength;
        BlockSize = blockSize;
        IsAuthenticated = isAuthenticated;
    }

    public string Name { get; }

    /// <summary>Bytes of encryption key to derive (letters C/D of RFC 4253 §7.2).</summary>
    public int KeyLength { get; }

    /// <summary>Bytes of IV to derive (letters A/B); 0 for chacha20-poly1305, which uses the sequence number.</summary>
    public int IvLength { get; }

    public int BlockSize { get; }

    /// <summary>
    /// An AEAD cipher brings its own integrity: as in OpenSSH, the MAC lists are then not negotiated for that
    /// direction and no MAC key is derived.
    /// </summary>
    public bool IsAuthenticated { get; }

    /// <summary>The algorithm with this exact name, or null when we do not implement it.</summary>
    public static CipherAlgorithm? Find(string name)
    {
        foreach (var algorithm in Preferred)
        {
            if (algorithm.Name == name)
            {
                return algorithm;
            }
        }

        return null;
    }

    public override string ToString() => Name;
}
