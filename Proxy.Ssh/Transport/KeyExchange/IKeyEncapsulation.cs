namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// A post-quantum key encapsulation mechanism as the hybrid methods use it: the client publishes an encapsulation key,
/// the server encapsulates a fresh secret to it, the client decapsulates. Decapsulation never fails on a tampered
/// ciphertext (both KEMs reject implicitly, returning an unrelated secret): the mismatch surfaces when the host key
/// signature over H fails to verify.
/// </summary>
internal interface IKeyEncapsulation
{
    /// <summary>For messages: "ML-KEM-768", "sntrup761".</summary>
    string Name { get; }

    int EncapsulationKeyLength { get; }

    int CiphertextLength { get; }

    int SecretLength { get; }

    /// <summary>A fresh key pair: the encapsulation key to send, and an opaque private key for <see cref="Decapsulate"/>.</summary>
    (byte[] EncapsulationKey, object PrivateKey) GenerateKeyPair();

    /// <summary>
    /// Encapsulates to the peer's key, writing the secret into <paramref name="secret"/>. A key the KEM itself can tell
    /// is malformed (ML-KEM's modulus check) throws <see cref="SshProtocolException"/>.
    /// </summary>
    byte[] Encapsulate(ReadOnlySpan<byte> encapsulationKey, Span<byte> secret);

    void Decapsulate(object privateKey, ReadOnlySpan<byte> ciphertext, Span<byte> secret);
}
