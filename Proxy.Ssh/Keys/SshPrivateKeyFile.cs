using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace HoopProxy.Ssh.Keys;

/// <summary>
/// Reads and writes private key files. Every failure is a <see cref="SshKeyFileException"/> that names the file and
/// the reason, never a byte of the key.
/// </summary>
/// <remarks>
/// Read: OpenSSH's own format (<c>BEGIN OPENSSH PRIVATE KEY</c>, unencrypted, ed25519 / rsa / ecdsa-sha2-nistp256),
/// and, because .NET reads them for free, PEM <c>BEGIN RSA PRIVATE KEY</c>, <c>BEGIN EC PRIVATE KEY</c> (P-256) and
/// PKCS#8 <c>BEGIN PRIVATE KEY</c> (RSA, P-256, Ed25519). Passphrase-protected keys of any format are refused: the
/// proxy runs unattended, and there is nobody to type a passphrase.
/// Written: openssh-key-v1, unencrypted, mode 0600, so <c>ssh-keygen</c> and <c>ssh</c> read it.
/// </remarks>
public static class SshPrivateKeyFile
{
    private const string PassphraseRefusal =
        "passphrase-protected keys are not supported (the proxy cannot ask for a passphrase); " +
        "remove it with ssh-keygen -p -N '' -f FILE, on a copy kept as safe as the original";

    /// <summary>Loads the key in <paramref name="path"/>.</summary>
    public static SshPrivateKey Load(string path) => LoadWithComment(path).Key;

    /// <summary>Loads the key and its comment (PEM formats have none: empty).</summary>
    public static (SshPrivateKey Key, string Comment) LoadWithComment(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.ASCII);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SshKeyFileException(path, $"cannot be read: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses key file text; <paramref name="source"/> names it in errors (a path, or a configuration key).</summary>
    public static (SshPrivateKey Key, string Comment) Parse(string text, string source)
    {
        // Legacy OpenSSL-encrypted PEM carries RFC 1421 headers that PemEncoding does not read at all.
        if (text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw new SshKeyFileException(source, PassphraseRefusal);
        }

        if (!PemEncoding.TryFind(text, out var fields))
        {
            throw new SshKeyFileException(source,
                "holds no PEM private key (expected -----BEGIN OPENSSH PRIVATE KEY-----, as ssh-keygen writes)");
        }

        var label = text[fields.Label];
        byte[] der;
        try
        {
            der = Convert.FromBase64String(text[fields.Base64Data]);
        }
        catch (FormatException e)
        {
            throw new SshKeyFileException(source, "the PEM body is not valid base64", e);
        }

        try
        {
            var (key, comment) = label switch
            {
                OpenSshPrivateKeyFormat.PemLabel => OpenSshPrivateKeyFormat.Decode(der, source),
                "ENCRYPTED PRIVATE KEY" => throw new SshKeyFileException(source, PassphraseRefusal),
                "RSA PRIVATE KEY" => (FromPkcs1Rsa(der), ""),
                "EC PRIVATE KEY" => (FromSec1Ec(der), ""),
                "PRIVATE KEY" => (FromPkcs8(der, source), ""),
                _ => throw new SshKeyFileException(source,
                    $"a PEM '{label}' is not a supported private key (OPENSSH PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, PRIVATE KEY)"),
            };
            SelfTest(key, source);
            return (key, comment);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidOperationException or IOException)
        {
            // .NET's and BouncyCastle's messages say what is wrong with the structure, never what the key is.
            throw new SshKeyFileException(source, $"is not a readable {label}: {e.Message}", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    /// <summary>
    /// Writes <paramref name="key"/> as an unencrypted openssh-key-v1 file readable only by its owner (0600). Never
    /// overwrites: the key is written to a temporary file beside the target and moved into place without replacing
    /// anything, so a crash never leaves half a key and two processes never each think they created it.
    /// </summary>
    /// <exception cref="IOException"><paramref name="path"/> already exists (or cannot be written).</exception>
    public static void Write(string path, SshPrivateKey key, string comment)
    {
        var text = OpenSshPrivateKeyFormat.Encode(key, comment);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: false);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static SshPrivateKey FromPkcs1Rsa(byte[] der)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportRSAPrivateKey(der, out _);
            return RsaPrivateKey.FromRsa(rsa);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    private static SshPrivateKey FromSec1Ec(byte[] der)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportECPrivateKey(der, out _);
            return EcdsaP256PrivateKey.FromECDsa(ecdsa);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    /// <summary>PKCS#8: RSA and P-256 through .NET; Ed25519, which .NET cannot read, through BouncyCastle.</summary>
    private static SshPrivateKey FromPkcs8(byte[] der, string source)
    {
        var algorithm = PrivateKeyInfo.GetInstance(der).PrivateKeyAlgorithm.Algorithm.Id;
        switch (algorithm)
        {
            case "1.2.840.113549.1.1.1": // rsaEncryption
            {
                var rsa = RSA.Create();
                try
                {
                    rsa.ImportPkcs8PrivateKey(der, out _);
                    return RsaPrivateKey.FromRsa(rsa);
                }
                catch
                {
                    rsa.Dispose();
                    throw;
                }
            }

            case "1.2.840.10045.2.1": // id-ecPublicKey
            {
                var ecdsa = ECDsa.Create();
                try
                {
                    ecdsa.ImportPkcs8PrivateKey(der, out _);
                    return EcdsaP256PrivateKey.FromECDsa(ecdsa);
                }
                catch
                {
                    ecdsa.Dispose();
                    throw;
                }
            }

            case "1.3.101.112": // id-Ed25519
                return Ed25519PrivateKey.FromParameters((Ed25519PrivateKeyParameters)PrivateKeyFactory.CreateKey(der));

            default:
                throw new SshKeyFileException(source, $"a PKCS#8 key of algorithm {algorithm} is not supported (RSA, P-256 ECDSA, Ed25519)");
        }
    }

    /// <summary>
    /// Signs and verifies once: a key whose private half does not produce signatures its public half accepts would
    /// otherwise be found out only by the first client that refuses to connect.
    /// </summary>
    private static void SelfTest(SshPrivateKey key, string source)
    {
        var algorithm = key.SignatureAlgorithms[0];
        var data = "hoopproxy key self-test"u8;
        if (!key.PublicKey.Verify(algorithm, data, key.Sign(algorithm, data)))
        {
            key.Dispose();
            throw new SshKeyFileException(source, "the private key does not produce signatures its public key accepts (the file is corrupt)");
        }
    }
}
