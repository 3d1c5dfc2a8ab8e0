using System.Security.Cryptography;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Keys;

/// <summary>
/// An <c>ssh-rsa</c> key (RFC 4253 §6.6): the blob is <c>string "ssh-rsa" || mpint e || mpint n</c>. It verifies
/// <c>rsa-sha2-512</c> and <c>rsa-sha2-256</c> signatures (RFC 8332); SHA-1 <c>ssh-rsa</c> signatures only when the
/// caller opts in.
/// </summary>
public sealed class RsaPublicKey : SshPublicKey
{
    /// <summary>OpenSSH refuses smaller moduli (SSH_RSA_MINIMUM_MODULUS_SIZE); so do we.</summary>
    public const int MinimumModulusBits = 1024;

    /// <summary>OpenSSH's upper bound (SSHBUF_MAX_BIGNUM × 8); bounds the work a peer's key can cost us.</summary>
    public const int MaximumModulusBits = 16384;

    private readonly byte[] _modulus;
    private readonly byte[] _exponent;

    private RsaPublicKey(byte[] blob, byte[] modulus, byte[] exponent) : base(blob)
    {
        _modulus = modulus;
        _exponent = exponent;
    }

    public override string KeyType => SshKeyAlgorithms.Rsa;

    public override IReadOnlyList<string> SignatureAlgorithms { get; } = [SshKeyAlgorithms.RsaSha512, SshKeyAlgorithms.RsaSha256];

    /// <summary>Bits in the modulus.</summary>
    public int ModulusBits => BitLength(_modulus);

    /// <summary>The public parameters, big-endian without leading zeros, for importing into <see cref="RSA"/>.</summary>
    public RSAParameters Parameters => new() { Modulus = _modulus, Exponent = _exponent };

    public static RsaPublicKey FromParameters(RSAParameters parameters)
    {
        if (parameters.Modulus is null || parameters.Exponent is null)
        {
            throw new ArgumentException("RSA parameters without a modulus or exponent", nameof(parameters));
        }

        var modulus = parameters.Modulus.AsSpan().TrimStart((byte)0).ToArray();
        var exponent = parameters.Exponent.AsSpan().TrimStart((byte)0).ToArray();
        Validate(modulus, exponent);
        var blob = BuildBlob(SshKeyAlgorithms.Rsa, w =>
        {
            w.WritePositiveMpint(exponent);
            w.WritePositiveMpint(modulus);
        });
        return new RsaPublicKey(blob, modulus, exponent);
    }

    internal static RsaPublicKey ReadFields(ref SshReader reader, byte[] blob)
    {
        var exponent = reader.ReadPositiveMpint().ToArray();
        var modulus = reader.ReadPositiveMpint().ToArray();
        Validate(modulus, exponent);
        return new RsaPublicKey(blob, modulus, exponent);
    }

    private static void Validate(byte[] modulus, byte[] exponent)
    {
        var bits = BitLength(modulus);
        if (bits is < MinimumModulusBits or > MaximumModulusBits)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                $"an RSA key of {bits} bits is outside {MinimumModulusBits}..{MaximumModulusBits}");
        }

        // An even or trivial exponent is not an RSA key; a huge one only makes verification slow.
        if (exponent.Length is 0 or > 8 || (exponent[^1] & 1) == 0 || (exponent.Length == 1 && exponent[0] < 3))
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "an RSA key has an invalid public exponent");
        }

        if ((modulus[^1] & 1) == 0)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "an RSA key has an even modulus");
        }
    }

    /// <summary>Bits in a big-endian magnitude without leading zero bytes.</summary>
    private static int BitLength(ReadOnlySpan<byte> magnitude) =>
        magnitude.IsEmpty ? 0 : magnitude.Length * 8 - (System.Numerics.BitOperations.LeadingZeroCount((uint)magnitude[0]) - 24);

    internal static HashAlgorithmName? HashOf(string algorithm) => algorithm switch
    {
        SshKeyAlgorithms.RsaSha512 => HashAlgorithmName.SHA512,
        SshKeyAlgorithms.RsaSha256 => HashAlgorithmName.SHA256,
        SshKeyAlgorithms.Rsa => HashAlgorithmName.SHA1,
        _ => null,
    };

    private protected override bool VerifyRaw(string algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (HashOf(algorithm) is not { } hash || signature.Length > _modulus.Length || signature.IsEmpty)
        {
            return false;
        }

        // OpenSSH accepts a signature shorter than the modulus (some signers drop leading zero bytes) by padding it.
        if (signature.Length < _modulus.Length)
        {
            var padded = new byte[_modulus.Length];
            signature.CopyTo(padded.AsSpan(_modulus.Length - signature.Length));
            signature = padded;
        }

        try
        {
            using var rsa = RSA.Create();
            rsa.ImportParameters(Parameters);
            return rsa.VerifyData(data, signature, hash, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
