using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Tests.Unit.Ssh.Keys;

/// <summary>
/// OpenSSH's file signatures (openssh-portable PROTOCOL.sshsig), the one way to make ssh-keygen sign with a key and
/// check a signature without a running sshd:
/// <code>
/// blob        = "SSHSIG" || uint32 1 || string public key || string namespace || string reserved || string hash_alg || string signature
/// signed data = "SSHSIG" || string namespace || string reserved || string hash_alg || string H(message)
/// </code>
/// armored between <c>-----BEGIN SSH SIGNATURE-----</c> and <c>-----END SSH SIGNATURE-----</c>.
/// </summary>
internal sealed record SshSig(byte[] PublicKey, string Namespace, string HashAlgorithm, byte[] Signature)
{
    private const string Begin = "-----BEGIN SSH SIGNATURE-----";
    private const string End = "-----END SSH SIGNATURE-----";

    public static SshSig ParseArmored(string text)
    {
        var start = text.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length;
        var end = text.IndexOf(End, StringComparison.Ordinal);
        var blob = Convert.FromBase64String(string.Concat(text[start..end].Where(c => !char.IsWhiteSpace(c))));
        var reader = new SshReader(blob);
        if (!Encoding.ASCII.GetString(reader.ReadRemaining()[..6]).Equals("SSHSIG", StringComparison.Ordinal))
        {
            throw new InvalidDataException("not an SSHSIG blob");
        }

        reader = new SshReader(blob.AsSpan(6));
        var version = reader.ReadUInt32();
        if (version != 1)
        {
            throw new InvalidDataException($"SSHSIG version {version}");
        }

        var publicKey = reader.ReadString().ToArray();
        var ns = reader.ReadUtf8();
        reader.ReadString(); // reserved
        var hash = reader.ReadUtf8();
        var signature = reader.ReadString().ToArray();
        reader.ExpectEnd("the SSHSIG blob");
        return new SshSig(publicKey, ns, hash, signature);
    }

    /// <summary>The bytes the signature is over, for <paramref name="message"/>.</summary>
    public static byte[] SignedData(string ns, string hashAlgorithm, ReadOnlySpan<byte> message)
    {
        var digest = hashAlgorithm switch
        {
            "sha512" => SHA512.HashData(message),
            "sha256" => SHA256.HashData(message),
            _ => throw new NotSupportedException(hashAlgorithm),
        };
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new SshWriter(buffer);
        writer.WriteRaw("SSHSIG"u8);
        writer.WriteUtf8(ns);
        writer.WriteString([]);
        writer.WriteUtf8(hashAlgorithm);
        writer.WriteString(digest);
        return buffer.WrittenSpan.ToArray();
    }

    public string ToArmored()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new SshWriter(buffer);
        writer.WriteRaw("SSHSIG"u8);
        writer.WriteUInt32(1);
        writer.WriteString(PublicKey);
        writer.WriteUtf8(Namespace);
        writer.WriteString([]);
        writer.WriteUtf8(HashAlgorithm);
        writer.WriteString(Signature);
        var base64 = Convert.ToBase64String(buffer.WrittenSpan);
        var text = new StringBuilder(Begin).Append('\n');
        for (var i = 0; i < base64.Length; i += 70)
        {
            text.Append(base64, i, Math.Min(70, base64.Length - i)).Append('\n');
        }

        return text.Append(End).Append('\n').ToString();
    }
}
