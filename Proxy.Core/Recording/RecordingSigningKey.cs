using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace HoopProxy.Core.Recording;

/// <summary>
/// The operator's Ed25519 key that signs every seal and index line. Loaded from a PKCS#8 PEM file
/// (<c>openssl genpkey -algorithm ed25519</c>) or a file holding the raw 32-byte seed.
/// </summary>
public sealed class RecordingSigningKey
{
    private readonly Ed25519PrivateKeyParameters _privateKey;

    private RecordingSigningKey(Ed25519PrivateKeyParameters privateKey)
    {
        _privateKey = privateKey;
        PublicKey = privateKey.GeneratePublicKey().GetEncoded();
    }

    /// <summary>The 32-byte public key; seals carry it and verifiers trust it.</summary>
    public byte[] PublicKey { get; }

    /// <summary>Short fingerprint for logs and reports: the first 8 bytes of SHA-256(public key), hex.</summary>
    public string KeyId => FingerprintOf(PublicKey);

    public static string FingerprintOf(ReadOnlySpan<byte> publicKey) =>
        Convert.ToHexStringLower(SHA256.HashData(publicKey)[..8]);

    public static RecordingSigningKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519PrivateKeyParameters.KeySize)
        {
            throw new ArgumentException($"an Ed25519 seed is {Ed25519PrivateKeyParameters.KeySize} bytes, not {seed.Length}", nameof(seed));
        }

        return new RecordingSigningKey(new Ed25519PrivateKeyParameters(seed));
    }

    /// <summary>Loads a PEM (PKCS#8 "PRIVATE KEY") or raw 32-byte seed file; the message says which form was expected.</summary>
    public static RecordingSigningKey Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == Ed25519PrivateKeyParameters.KeySize)
        {
            return FromSeed(bytes);
        }

        var text = System.Text.Encoding.ASCII.GetString(bytes);
        if (PemEncoding.TryFind(text, out var fields) && text[fields.Label] == "PRIVATE KEY")
        {
            var der = Convert.FromBase64String(text[fields.Base64Data]);
            try
            {
                if (PrivateKeyFactory.CreateKey(der) is Ed25519PrivateKeyParameters key)
                {
                    return new RecordingSigningKey(key);
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or SecurityUtilityException)
            {
                throw new InvalidDataException($"'{path}' is not a readable PKCS#8 private key", e);
            }

            throw new InvalidDataException($"'{path}' holds a private key that is not Ed25519");
        }

        throw new InvalidDataException(
            $"'{path}' is neither a PEM \"PRIVATE KEY\" (openssl genpkey -algorithm ed25519) nor a raw {Ed25519PrivateKeyParameters.KeySize}-byte seed");
    }

    /// <summary>Creates a new key as a PKCS#8 PEM file readable only by its owner; refuses to overwrite.</summary>
    public static RecordingSigningKey Generate(string path)
    {
        var key = new Ed25519PrivateKeyParameters(new SecureRandom());
        var der = PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetEncoded();
        var pem = PemEncoding.WriteString("PRIVATE KEY", der) + "\n";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(pem));
        }

        return new RecordingSigningKey(key);
    }

    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signer = new Ed25519Signer();
        signer.Init(forSigning: true, _privateKey);
        signer.BlockUpdate(message);
        return signer.GenerateSignature();
    }

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != Ed25519PublicKeyParameters.KeySize || signature.Length != RecordingFormat.SignatureSize)
        {
            return false;
        }

        var verifier = new Ed25519Signer();
        verifier.Init(forSigning: false, new Ed25519PublicKeyParameters(publicKey));
        verifier.BlockUpdate(message);
        return verifier.VerifySignature(signature.ToArray());
    }
}
