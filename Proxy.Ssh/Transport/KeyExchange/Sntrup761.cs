using System.Security.Cryptography;
using Org.BouncyCastle.Pqc.Crypto.NtruPrime;
using Org.BouncyCastle.Security;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// Streamlined NTRU Prime sntrup761 through BouncyCastle: 1158-byte public keys, 1039-byte ciphertexts, 32-byte secrets
/// (the sizes of OpenSSH's sntrup761.c). The key has no structure to check beyond its length; OpenSSH checks none either.
/// </summary>
internal sealed class Sntrup761 : IKeyEncapsulation
{
    public static readonly Sntrup761 Instance = new();

    private static readonly SNtruPrimeParameters Parameters = SNtruPrimeParameters.sntrup761;

    public string Name => "sntrup761";

    public int EncapsulationKeyLength => 1158;

    public int CiphertextLength => 1039;

    public int SecretLength => 32;

    public (byte[] EncapsulationKey, object PrivateKey) GenerateKeyPair()
    {
        var generator = new SNtruPrimeKeyPairGenerator();
        generator.Init(new SNtruPrimeKeyGenerationParameters(new SecureRandom(), Parameters));
        var pair = generator.GenerateKeyPair();
        return (((SNtruPrimePublicKeyParameters)pair.Public).GetEncoded(), pair.Private);
    }

    public byte[] Encapsulate(ReadOnlySpan<byte> encapsulationKey, Span<byte> secret)
    {
        var key = new SNtruPrimePublicKeyParameters(Parameters, encapsulationKey.ToArray());
        using var encapsulated = new SNtruPrimeKemGenerator(new SecureRandom()).GenerateEncapsulated(key);
        var generated = encapsulated.GetSecret();
        try
        {
            generated.CopyTo(secret);
            return encapsulated.GetEncapsulation();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(generated);
        }
    }

    public void Decapsulate(object privateKey, ReadOnlySpan<byte> ciphertext, Span<byte> secret)
    {
        var extracted = new SNtruPrimeKemExtractor((SNtruPrimePrivateKeyParameters)privateKey).ExtractSecret(ciphertext.ToArray());
        try
        {
            extracted.CopyTo(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(extracted);
        }
    }
}
