namespace HoopProxy.Ssh.Keys;

/// <summary>
/// The key types and signature algorithms this implementation speaks. A key type names the blob's format
/// (RFC 4253 §6.6); a signature algorithm names how a signature was made — the same name for Ed25519 and ECDSA,
/// but an <c>ssh-rsa</c> key signs as <c>rsa-sha2-256</c> or <c>rsa-sha2-512</c> (RFC 8332).
/// </summary>
public static class SshKeyAlgorithms
{
    /// <summary>Ed25519 key type and signature algorithm (RFC 8709).</summary>
    public const string Ed25519 = "ssh-ed25519";

    /// <summary>The RSA key type (RFC 4253); as a signature algorithm it means RSA with SHA-1, refused unless asked for.</summary>
    public const string Rsa = "ssh-rsa";

    /// <summary>RSA PKCS#1 v1.5 signature with SHA-256 over an <see cref="Rsa"/> key (RFC 8332).</summary>
    public const string RsaSha256 = "rsa-sha2-256";

    /// <summary>RSA PKCS#1 v1.5 signature with SHA-512 over an <see cref="Rsa"/> key (RFC 8332).</summary>
    public const string RsaSha512 = "rsa-sha2-512";

    /// <summary>ECDSA over NIST P-256 with SHA-256, key type and signature algorithm (RFC 5656).</summary>
    public const string EcdsaP256 = "ecdsa-sha2-nistp256";

    /// <summary>Key types whose blobs <see cref="SshPublicKey.ParseBlob"/> reads.</summary>
    public static IReadOnlyList<string> KeyTypes { get; } = [Ed25519, EcdsaP256, Rsa];

    public static bool IsSupportedKeyType(string keyType) => KeyTypes.Contains(keyType, StringComparer.Ordinal);

    /// <summary>
    /// The key type that signs with <paramref name="signatureAlgorithm"/>, or null for a name we do not know. The
    /// legacy <c>ssh-rsa</c> (SHA-1) maps to the RSA key type; whether it is accepted is the verifier's decision.
    /// </summary>
    public static string? KeyTypeOf(string signatureAlgorithm) => signatureAlgorithm switch
    {
        Ed25519 => Ed25519,
        EcdsaP256 => EcdsaP256,
        Rsa or RsaSha256 or RsaSha512 => Rsa,
        _ => null,
    };
}
