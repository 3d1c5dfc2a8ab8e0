using System.Security.Cryptography;
using System.Text;
using HoopProxy.Core.Recording;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace HoopProxy.Host.Audit;

/// <summary>
/// Reads <c>--public-key</c>: the base64 of the 32-byte Ed25519 key (as checkpoints print it in <c>public_key</c>), or a
/// file holding it, a PEM <c>PUBLIC KEY</c> (<c>openssl pkey -in audit.key -pubout</c>), or the signing key itself.
/// </summary>
internal static class PublicKeyArgument
{
    public static bool TryParse(string value, out byte[] publicKey, out string problem)
    {
        publicKey = [];
        problem = "";
        try
        {
            publicKey = File.Exists(value) ? FromFile(value) : FromBase64(value);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException or IOException or SecurityUtilityException)
        {
            problem = $"--public-key: {e.Message}";
            return false;
        }
    }

    private static byte[] FromFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == Ed25519PrivateKeyParameters.KeySize)
        {
            // 32 raw bytes are the signing key's seed form (a public key in base64 text is 44 characters).
            return RecordingSigningKey.Load(path).PublicKey;
        }

        var text = Encoding.ASCII.GetString(bytes);
        if (PemEncoding.TryFind(text, out var fields))
        {
            var label = text[fields.Label];
            if (label == "PUBLIC KEY")
            {
                return PublicKeyFactory.CreateKey(Convert.FromBase64String(text[fields.Base64Data])) is Ed25519PublicKeyParameters key
                    ? key.GetEncoded()
                    : throw new InvalidDataException($"'{path}' holds a public key that is not Ed25519");
            }

            if (label == "PRIVATE KEY")
            {
                return RecordingSigningKey.Load(path).PublicKey;
            }
        }

        return FromBase64(text.Trim());
    }

    private static byte[] FromBase64(string text)
    {
        var bytes = Convert.FromBase64String(text.Trim());
        return bytes.Length == Ed25519PublicKeyParameters.KeySize
            ? bytes
            : throw new InvalidDataException($"an Ed25519 public key is {Ed25519PublicKeyParameters.KeySize} bytes, not {bytes.Length}; give its base64, a PEM \"PUBLIC KEY\" file or the signing key file");
    }
}
