using HoopProxy.Ssh.Wire;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace HoopProxy.Ssh.Keys;

/// <summary>An Ed25519 private key (RFC 8709), signing with BouncyCastle (.NET has no Ed25519).</summary>
public sealed class Ed25519PrivateKey : SshPrivateKey
{
    public const int SeedSize = 32;

    private readonly Ed25519PrivateKeyParameters _parameters;
    private readonly Ed25519PublicKey _publicKey;

    private Ed25519PrivateKey(Ed25519PrivateKeyParameters parameters)
    {
        _parameters = parameters;
        _publicKey = Ed25519PublicKey.FromKey(parameters.GeneratePublicKey().GetEncoded());
    }

    public override SshPublicKey PublicKey => _publicKey;

    internal static Ed25519PrivateKey Generate() => new(new Ed25519PrivateKeyParameters(new SecureRandom()));

    /// <summary>From the 32-byte seed (RFC 8032's private key).</summary>
    public static Ed25519PrivateKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"an Ed25519 seed is {SeedSize} bytes, not {seed.Length}", nameof(seed));
        }

        return new Ed25519PrivateKey(new Ed25519PrivateKeyParameters(seed));
    }

    internal static Ed25519PrivateKey FromParameters(Ed25519PrivateKeyParameters parameters) => new(parameters);

    /// <summary>
    /// OpenSSH's private fields: <c>string public key (32) || string seed || public key (64)</c>. Both copies of the
    /// public key must be the one the seed derives, or the file is corrupt (or crafted).
    /// </summary>
    internal static Ed25519PrivateKey ReadOpenSshPrivateFields(ref SshReader reader)
    {
        var publicKey = reader.ReadString();
        var secret = reader.ReadString();
        if (publicKey.Length != Ed25519PublicKey.KeySize || secret.Length != SeedSize + Ed25519PublicKey.KeySize)
        {
            throw new InvalidDataException($"the Ed25519 private fields have sizes {publicKey.Length} and {secret.Length}, not 32 and 64");
        }

        var key = FromSeed(secret[..SeedSize]);
        if (!secret[SeedSize..].SequenceEqual(publicKey) || !key._publicKey.Key.Span.SequenceEqual(publicKey))
        {
            throw new InvalidDataException("the Ed25519 private key does not match its public key");
        }

        return key;
    }

    internal override void WriteOpenSshPrivateFields(SshWriter writer)
    {
        var publicKey = _publicKey.Key.Span;
        Span<byte> secret = stackalloc byte[SeedSize + Ed25519PublicKey.KeySize];
        try
        {
            _parameters.Encode(secret[..SeedSize]);
            publicKey.CopyTo(secret[SeedSize..]);
            writer.WriteString(publicKey);
            writer.WriteString(secret);
        }
        finally
        {
            secret.Clear();
        }
    }

    private protected override byte[] SignRaw(string algorithm, ReadOnlySpan<byte> data)
    {
        var signer = new Ed25519Signer();
        signer.Init(forSigning: true, _parameters);
        signer.BlockUpdate(data);
        return signer.GenerateSignature();
    }
}
