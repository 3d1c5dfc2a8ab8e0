using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Security;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>ML-KEM-768 (FIPS 203) through BouncyCastle: 1184-byte encapsulation keys, 1088-byte ciphertexts, 32-byte secrets.</summary>
internal sealed class MlKem768 : IKeyEncapsulation
{
    public static readonly MlKem768 Instance = new();

    private static readonly MLKemParameters Parameters = MLKemParameters.ml_kem_768;

    public string Name => "ML-KEM-768";

    public int EncapsulationKeyLength => 1184;

    public int CiphertextLength => 1088;

    public int SecretLength => 32;

    public (byte[] EncapsulationKey, object PrivateKey) GenerateKeyPair()
    {
        var generator = new MLKemKeyPairGenerator();
        generator.Init(new MLKemKeyGenerationParameters(new SecureRandom(), Parameters));
        var pair = generator.GenerateKeyPair();
        return (((MLKemPublicKeyParameters)pair.Public).GetEncoded(), pair.Private);
    }

    public byte[] Encapsulate(ReadOnlySpan<byte> encapsulationKey, Span<byte> secret)
    {
        MLKemPublicKeyParameters key;
        try
        {
            // FIPS 203 §7.2's input check (every coefficient below q) happens here, as libcrux does it for OpenSSH.
            key = MLKemPublicKeyParameters.FromEncoding(Parameters, encapsulationKey.ToArray());
        }
        catch (ArgumentException e)
        {
            throw KeyExchangeFailure.Because($"the client's {Name} encapsulation key is malformed ({e.Message})", e);
        }

        var encapsulator = new MLKemEncapsulator(Parameters);
        encapsulator.Init(new ParametersWithRandom(key, new SecureRandom()));
        var ciphertext = new byte[CiphertextLength];
        encapsulator.Encapsulate(ciphertext, secret[..SecretLength]);
        return ciphertext;
    }

    public void Decapsulate(object privateKey, ReadOnlySpan<byte> ciphertext, Span<byte> secret)
    {
        var decapsulator = new MLKemDecapsulator(Parameters);
        decapsulator.Init((MLKemPrivateKeyParameters)privateKey);
        decapsulator.Decapsulate(ciphertext, secret[..SecretLength]);
    }
}
