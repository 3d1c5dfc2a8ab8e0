using System.Buffers;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Keys;

/// <summary>
/// A private key that signs as SSH expects: the result of <see cref="Sign"/> is the signature blob
/// <c>string algorithm || string signature</c> that goes on the wire. Load one with <see cref="SshPrivateKeyFile"/>.
/// </summary>
/// <remarks>
/// Private material never appears in <see cref="ToString"/>, exception messages or logs: <see cref="ToString"/> shows
/// the type and the public fingerprint only. Signing is safe from several sessions at once.
/// </remarks>
public abstract class SshPrivateKey : IDisposable
{
    private protected SshPrivateKey()
    {
    }

    public abstract SshPublicKey PublicKey { get; }

    /// <summary>The signature algorithms this key signs with, best first (see <see cref="SshPublicKey.SignatureAlgorithms"/>).</summary>
    public IReadOnlyList<string> SignatureAlgorithms => PublicKey.SignatureAlgorithms;

    /// <summary>
    /// Signs <paramref name="data"/> with <paramref name="algorithm"/> and returns the signature blob. An algorithm this
    /// key does not sign with is the caller's mistake (negotiation offers only <see cref="SignatureAlgorithms"/>), so it
    /// throws <see cref="ArgumentException"/>; we never make SHA-1 <c>ssh-rsa</c> signatures.
    /// </summary>
    public byte[] Sign(string algorithm, ReadOnlySpan<byte> data)
    {
        if (!SignatureAlgorithms.Contains(algorithm, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"a {PublicKey.KeyType} key does not sign with '{algorithm}' (it signs with {string.Join(", ", SignatureAlgorithms)})",
                nameof(algorithm));
        }

        var signature = SignRaw(algorithm, data);
        var buffer = new ArrayBufferWriter<byte>(algorithm.Length + signature.Length + 8);
        var writer = new SshWriter(buffer);
        writer.WriteUtf8(algorithm);
        writer.WriteString(signature);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The algorithm-specific signature bytes (the inner <c>string</c> of the blob).</summary>
    private protected abstract byte[] SignRaw(string algorithm, ReadOnlySpan<byte> data);

    /// <summary>The fields after the key type in the private section of an openssh-key-v1 file (PROTOCOL.key; sshkey_private_serialize).</summary>
    internal abstract void WriteOpenSshPrivateFields(SshWriter writer);

    /// <summary>Creates a new Ed25519 key from the system's cryptographic random source.</summary>
    public static Ed25519PrivateKey GenerateEd25519() => Ed25519PrivateKey.Generate();

    public sealed override string ToString() => $"{PublicKey.KeyType} private key {PublicKey.Fingerprint}";

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
