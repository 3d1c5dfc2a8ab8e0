using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Keys;

/// <summary>
/// The openssh-key-v1 container (openssh-portable PROTOCOL.key), unencrypted only:
/// <code>
/// "openssh-key-v1\0" || string ciphername || string kdfname || string kdfoptions || uint32 N (= 1)
///   || string public key blob || string private section
/// private section = uint32 checkint || uint32 checkint || string key type || type's private fields || string comment
///   || padding 1, 2, 3 … up to a multiple of the cipher's block size (8 for "none")
/// </code>
/// </summary>
internal static class OpenSshPrivateKeyFormat
{
    public const string PemLabel = "OPENSSH PRIVATE KEY";

    private static ReadOnlySpan<byte> Magic => "openssh-key-v1\0"u8;

    /// <summary>The block size ssh-keygen pads to when the cipher is "none".</summary>
    private const int BlockSize = 8;

    /// <summary>Reads the binary container; throws <see cref="SshKeyFileException"/> naming <paramref name="source"/>.</summary>
    public static (SshPrivateKey Key, string Comment) Decode(ReadOnlySpan<byte> data, string source)
    {
        if (!data.StartsWith(Magic))
        {
            throw new SshKeyFileException(source, "not an openssh-key-v1 private key (the magic bytes are missing)");
        }

        try
        {
            var reader = new SshReader(data[Magic.Length..]);
            var cipher = reader.ReadString();
            var kdf = reader.ReadString();
            var kdfOptions = reader.ReadString();
            if (!cipher.SequenceEqual("none"u8) || !kdf.SequenceEqual("none"u8))
            {
                throw new SshKeyFileException(source,
                    $"passphrase-protected keys are not supported (cipher '{SshPublicKey.Printable(cipher)}', kdf '{SshPublicKey.Printable(kdf)}'); " +
                    "remove the passphrase with ssh-keygen -p -N '' -f FILE, on a copy kept as safe as the original");
            }

            if (!kdfOptions.IsEmpty)
            {
                throw new SshKeyFileException(source, "an unencrypted key has KDF options");
            }

            var count = reader.ReadUInt32();
            if (count != 1)
            {
                throw new SshKeyFileException(source, $"the file holds {count} keys; exactly one is supported (as in OpenSSH)");
            }

            var publicBlob = reader.ReadString();
            var privateSection = reader.ReadString();
            reader.ExpectEnd("the private key list");

            var (key, comment) = DecodePrivateSection(privateSection, source);
            if (!key.PublicKey.Blob.Span.SequenceEqual(publicBlob))
            {
                key.Dispose();
                throw new SshKeyFileException(source, "the private key does not match the public key stored beside it");
            }

            return (key, comment);
        }
        catch (Exception e) when (e is SshProtocolException or InvalidDataException or CryptographicException or ArgumentException)
        {
            // The messages of these name sizes, offsets and types, never key bytes.
            throw new SshKeyFileException(source, $"not a valid OpenSSH private key: {e.Message}", e);
        }
    }

    private static (SshPrivateKey Key, string Comment) DecodePrivateSection(ReadOnlySpan<byte> section, string source)
    {
        if (section.Length % BlockSize != 0)
        {
            throw new SshKeyFileException(source, $"the private section is {section.Length} bytes, not a multiple of {BlockSize}");
        }

        var reader = new SshReader(section);
        // Two equal random words: after decryption they tell a wrong passphrase from a right one; here, corruption.
        if (reader.ReadUInt32() != reader.ReadUInt32())
        {
            throw new SshKeyFileException(source, "the check integers differ (the file is corrupt)");
        }

        var type = reader.ReadString();
        SshPrivateKey key;
        if (type.SequenceEqual("ssh-ed25519"u8))
        {
            key = Ed25519PrivateKey.ReadOpenSshPrivateFields(ref reader);
        }
        else if (type.SequenceEqual("ssh-rsa"u8))
        {
            key = RsaPrivateKey.ReadOpenSshPrivateFields(ref reader);
        }
        else if (type.SequenceEqual("ecdsa-sha2-nistp256"u8))
        {
            key = EcdsaP256PrivateKey.ReadOpenSshPrivateFields(ref reader);
        }
        else
        {
            throw new SshKeyFileException(source,
                $"unsupported private key type '{SshPublicKey.Printable(type)}' (supported: {string.Join(", ", SshKeyAlgorithms.KeyTypes)})");
        }

        try
        {
            var comment = reader.ReadUtf8();
            var padding = reader.ReadRemaining();
            for (var i = 0; i < padding.Length; i++)
            {
                if (padding[i] != (byte)(i + 1))
                {
                    throw new SshKeyFileException(source, "the private section's padding is not 1, 2, 3 … (the file is corrupt)");
                }
            }

            if (padding.Length >= BlockSize)
            {
                throw new SshKeyFileException(source, "the private section has more padding than a block");
            }

            return (key, comment);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Writes the PEM text ssh-keygen writes: 70 base64 characters a line, a final newline.</summary>
    public static string Encode(SshPrivateKey key, string comment)
    {
        // Sized so that even a 16384-bit RSA key never makes the buffers grow (a grown buffer leaves a copy behind).
        var section = new ArrayBufferWriter<byte>(16384);
        var file = new ArrayBufferWriter<byte>(20480);
        try
        {
            var check = new byte[4];
            RandomNumberGenerator.Fill(check);
            var checkInt = BinaryPrimitives.ReadUInt32BigEndian(check);
            var inner = new SshWriter(section);
            inner.WriteUInt32(checkInt);
            inner.WriteUInt32(checkInt);
            inner.WriteUtf8(key.PublicKey.KeyType);
            key.WriteOpenSshPrivateFields(inner);
            inner.WriteUtf8(comment);
            for (byte pad = 1; section.WrittenCount % BlockSize != 0; pad++)
            {
                inner.WriteByte(pad);
            }

            var outer = new SshWriter(file);
            outer.WriteRaw(Magic);
            outer.WriteUtf8("none");
            outer.WriteUtf8("none");
            outer.WriteString([]);
            outer.WriteUInt32(1);
            outer.WriteString(key.PublicKey.Blob.Span);
            outer.WriteString(section.WrittenSpan);

            var base64 = Convert.ToBase64String(file.WrittenSpan);
            var text = new System.Text.StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
            for (var i = 0; i < base64.Length; i += 70)
            {
                text.Append(base64, i, Math.Min(70, base64.Length - i)).Append('\n');
            }

            return text.Append("-----END OPENSSH PRIVATE KEY-----\n").ToString();
        }
        finally
        {
            // The buffers held the private fields; clear them rather than leave them to the garbage collector.
            section.Clear();
            file.Clear();
        }
    }
}
