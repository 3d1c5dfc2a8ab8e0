using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// A MAC algorithm of the key exchange's <c>mac_algorithms</c> lists (RFC 4253 §7.1), used with the non-AEAD ciphers.
/// </summary>
public sealed class MacAlgorithm
{
    public const string HmacSha256EtmName = "hmac-sha2-256-etm@openssh.com";
    public const string HmacSha512EtmName = "hmac-sha2-512-etm@openssh.com";
    public const string HmacSha256Name = "hmac-sha2-256";
    public const string HmacSha512Name = "hmac-sha2-512";

    public static readonly MacAlgorithm HmacSha256Etm = new(HmacSha256EtmName, HashAlgorithmName.SHA256, 32, encryptThenMac: true);
    public static readonly MacAlgorithm HmacSha512Etm = new(HmacSha512EtmName, HashAlgorithmName.SHA512, 64, encryptThenMac: true);
    public static readonly MacAlgorithm HmacSha256 = new(HmacSha256Name, HashAlgorithmName.SHA256, 32, encryptThenMac: false);
    public static readonly MacAlgorithm HmacSha512 = new(HmacSha512Name, HashAlgorithmName.SHA512, 64, encryptThenMac: false);

    /// <summary>
    /// What we offer, best first: encrypt-then-MAC before the RFC 6668 forms, because -etm authenticates before
    /// decrypting and keeps the length out of the ciphertext (no decrypt-the-length-then-wait oracle).
    /// </summary>
    public static IReadOnlyList<MacAlgorithm> Preferred { get; } = [HmacSha256Etm, HmacSha512Etm, HmacSha256, HmacSha512];

    private MacAlgorithm(string name, HashAlgorithmName hash, int length, bool encryptThenMac)
    {
        Name = name;
        Hash = hash;
        Length = length;
        KeyLength = length;
        EncryptThenMac = encryptThenMac;
    }

    public string Name { get; }

    internal HashAlgorithmName Hash { get; }

    /// <summary>Bytes of MAC after each packet.</summary>
    public int Length { get; }

    /// <summary>Bytes of integrity key to derive (letters E/F of RFC 4253 §7.2): the hash's output size (RFC 6668).</summary>
    public int KeyLength { get; }

    /// <summary>OpenSSH's -etm@openssh.com form: length in clear, MAC over the ciphertext.</summary>
    public bool EncryptThenMac { get; }

    /// <summary>The algorithm with this exact name, or null when we do not implement it.</summary>
    public static MacAlgorithm? Find(string name)
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
