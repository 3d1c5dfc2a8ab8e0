using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Keys;

/// <summary>
/// A public key as SSH carries it: the blob of RFC 4253 §6.6 (<c>string key-type</c> then the type's fields). An
/// immutable value, equal to another when the blobs are equal; it holds no native handles, so it needs no disposing.
/// </summary>
/// <remarks>
/// Malformed input has one behaviour per kind, so callers can rely on it:
/// <list type="bullet">
/// <item>a key blob (<see cref="ParseBlob"/>) that is malformed or of an unsupported type throws
/// <see cref="SshProtocolException"/> — the peer sent something no correct implementation sends;</item>
/// <item>a signature (<see cref="Verify"/>) never throws: anything wrong with it — framing, algorithm name, length,
/// the mathematics — is <c>false</c>, because "this signature does not prove possession" is the only answer a caller
/// needs and an exception path would be one more way for peer data to reach code that was not expecting it.</item>
/// </list>
/// </remarks>
public abstract class SshPublicKey : IEquatable<SshPublicKey>
{
    private readonly byte[] _blob;

    private protected SshPublicKey(byte[] blob)
    {
        _blob = blob;
        Fingerprint = FingerprintOf(blob);
    }

    /// <summary>The key type, the first field of the blob (<c>ssh-ed25519</c>, <c>ssh-rsa</c>, <c>ecdsa-sha2-nistp256</c>).</summary>
    public abstract string KeyType { get; }

    /// <summary>
    /// Signature algorithms this key verifies by default, best first: the key type itself, except RSA, which lists
    /// <c>rsa-sha2-512</c> and <c>rsa-sha2-256</c> (the SHA-1 <c>ssh-rsa</c> only on request, see <see cref="Verify"/>).
    /// </summary>
    public abstract IReadOnlyList<string> SignatureAlgorithms { get; }

    /// <summary>The wire encoding; the same bytes every time (a copy is never needed, the memory is read-only).</summary>
    public ReadOnlyMemory<byte> Blob => _blob;

    /// <summary><c>SHA256:</c> and the unpadded base64 of SHA-256(blob), exactly as <c>ssh-keygen -l</c> prints it.</summary>
    public string Fingerprint { get; }

    public static string FingerprintOf(ReadOnlySpan<byte> blob) =>
        "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');

    /// <summary>Reads a key blob; the whole span must be the blob. Throws <see cref="SshProtocolException"/> when it is not a key we support.</summary>
    public static SshPublicKey ParseBlob(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        var type = reader.ReadString();
        SshPublicKey key;
        if (type.SequenceEqual("ssh-ed25519"u8))
        {
            key = Ed25519PublicKey.ReadFields(ref reader, blob.ToArray());
        }
        else if (type.SequenceEqual("ssh-rsa"u8))
        {
            key = RsaPublicKey.ReadFields(ref reader, blob.ToArray());
        }
        else if (type.SequenceEqual("ecdsa-sha2-nistp256"u8))
        {
            key = EcdsaP256PublicKey.ReadFields(ref reader, blob.ToArray());
        }
        else
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"unsupported public key type '{Printable(type)}'");
        }

        reader.ExpectEnd($"the {key.KeyType} public key");
        return key;
    }

    /// <summary>As <see cref="ParseBlob"/>, but false (and the reason) instead of an exception: a user-auth request for an unknown key type is answered with a failure, not a disconnect.</summary>
    public static bool TryParseBlob(ReadOnlySpan<byte> blob, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SshPublicKey? key, out string? error)
    {
        try
        {
            key = ParseBlob(blob);
            error = null;
            return true;
        }
        catch (SshProtocolException e)
        {
            key = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// True when <paramref name="signatureBlob"/> (<c>string algorithm || string signature</c>) is a valid signature of
    /// <paramref name="data"/> by this key, made with exactly <paramref name="algorithm"/> — the algorithm the caller
    /// negotiated (host key) or the client named (user auth). Never throws for anything in the signature.
    /// </summary>
    /// <param name="algorithm">Must be one this key type signs with; the name inside the blob must be the same.</param>
    /// <param name="data">The signed bytes (exchange hash, user-auth request).</param>
    /// <param name="signatureBlob">The signature as sent.</param>
    /// <param name="allowSha1Rsa">Accept the legacy <c>ssh-rsa</c> (RSA with SHA-1) algorithm; off unless an operator asked for it.</param>
    public bool Verify(string algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signatureBlob, bool allowSha1Rsa = false)
    {
        if (!SignatureAlgorithms.Contains(algorithm, StringComparer.Ordinal)
            && !(allowSha1Rsa && algorithm == SshKeyAlgorithms.Rsa && KeyType == SshKeyAlgorithms.Rsa))
        {
            return false;
        }

        ReadOnlySpan<byte> signature;
        try
        {
            var reader = new SshReader(signatureBlob);
            var name = reader.ReadString();
            if (!Ascii.Equals(name, algorithm))
            {
                return false;
            }

            signature = reader.ReadString();
            if (!reader.End)
            {
                return false;
            }
        }
        catch (SshProtocolException)
        {
            return false;
        }

        return VerifyRaw(algorithm, data, signature);
    }

    /// <summary>Checks the algorithm-specific signature bytes; implementations return false on any malformation and never throw.</summary>
    private protected abstract bool VerifyRaw(string algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);

    /// <summary>The <c>authorized_keys</c> / <c>.pub</c> form: type, base64 blob and, when given, a comment.</summary>
    public string ToOpenSshLine(string? comment = null)
    {
        var line = KeyType + " " + Convert.ToBase64String(_blob);
        return string.IsNullOrEmpty(comment) ? line : line + " " + comment;
    }

    public bool Equals(SshPublicKey? other) => other is not null && _blob.AsSpan().SequenceEqual(other._blob);

    public override bool Equals(object? obj) => Equals(obj as SshPublicKey);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_blob);
        return hash.ToHashCode();
    }

    public override string ToString() => $"{KeyType} {Fingerprint}";

    /// <summary>Builds a blob: the key type, then the fields the callback writes.</summary>
    private protected static byte[] BuildBlob(string keyType, Action<SshWriter> writeFields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new SshWriter(buffer);
        writer.WriteUtf8(keyType);
        writeFields(writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Peer-chosen names go into error messages only as short printable ASCII, so a log line cannot be forged or flooded.</summary>
    internal static string Printable(ReadOnlySpan<byte> name)
    {
        var shown = name.Length > 64 ? name[..64] : name;
        var text = new StringBuilder(shown.Length);
        foreach (var b in shown)
        {
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        }

        return name.Length > 64 ? text + "…" : text.ToString();
    }
}
