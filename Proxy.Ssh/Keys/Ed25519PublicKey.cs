using HoopProxy.Ssh.Wire;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace HoopProxy.Ssh.Keys;

/// <summary>An <c>ssh-ed25519</c> key (RFC 8709): the blob is <c>string "ssh-ed25519" || string key</c>, key 32 bytes.</summary>
public sealed class Ed25519PublicKey : SshPublicKey
{
    public const int KeySize = 32;
    public const int SignatureSize = 64;

    private readonly Ed25519PublicKeyParameters _parameters;

    private Ed25519PublicKey(byte[] blob, Ed25519PublicKeyParameters parameters) : base(blob)
    {
        _parameters = parameters;
    }

    public override string KeyType => SshKeyAlgorithms.Ed25519;

    public override IReadOnlyList<string> SignatureAlgorithms { get; } = [SshKeyAlgorithms.Ed25519];

    /// <summary>The 32-byte encoded point.</summary>
    public ReadOnlyMemory<byte> Key => _parameters.GetEncoded();

    /// <summary>From the 32-byte encoded point; throws <see cref="SshProtocolException"/> when it is not a point on the curve.</summary>
    public static Ed25519PublicKey FromKey(ReadOnlySpan<byte> key)
    {
        var parameters = Decode(key);
        var copy = key.ToArray();
        return new Ed25519PublicKey(BuildBlob(SshKeyAlgorithms.Ed25519, w => w.WriteString(copy)), parameters);
    }

    internal static Ed25519PublicKey ReadFields(ref SshReader reader, byte[] blob) => new(blob, Decode(reader.ReadString()));

    private static Ed25519PublicKeyParameters Decode(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"an Ed25519 public key is {KeySize} bytes, not {key.Length}");
        }

        try
        {
            return new Ed25519PublicKeyParameters(key);
        }
        catch (ArgumentException e)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "an Ed25519 public key is not a valid curve point", e);
        }
    }

    private protected override bool VerifyRaw(string algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize)
        {
            return false;
        }

        var verifier = new Ed25519Signer();
        verifier.Init(forSigning: false, _parameters);
        verifier.BlockUpdate(data);
        return verifier.VerifySignature(signature.ToArray());
    }
}
