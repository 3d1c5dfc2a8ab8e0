using System.Numerics;
using System.Security.Cryptography;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Keys;

/// <summary>An RSA private key; signs <c>rsa-sha2-512</c> and <c>rsa-sha2-256</c> (RFC 8332), never SHA-1.</summary>
public sealed class RsaPrivateKey : SshPrivateKey
{
    private readonly RSA _rsa;
    private readonly RsaPublicKey _publicKey;

    // .NET does not promise that one RSA instance may be used from several threads; a host key is shared by every
    // session, so signatures take turns (Ed25519 is the default host key and needs no lock).
    private readonly Lock _gate = new();

    private RsaPrivateKey(RSA rsa)
    {
        _rsa = rsa;
        _publicKey = RsaPublicKey.FromParameters(rsa.ExportParameters(includePrivateParameters: false));
    }

    public override SshPublicKey PublicKey => _publicKey;

    /// <summary>Takes ownership of <paramref name="rsa"/>, which must hold a private key.</summary>
    public static RsaPrivateKey FromRsa(RSA rsa) => new(rsa);

    /// <summary>
    /// OpenSSH's private fields: <c>mpint n, e, d, iqmp, p, q</c>. .NET also wants d mod (p−1) and d mod (q−1), and
    /// every field at its exact length; n = p·q and iqmp·q ≡ 1 (mod p) are checked so a corrupt file fails here.
    /// </summary>
    internal static RsaPrivateKey ReadOpenSshPrivateFields(ref SshReader reader)
    {
        var n = reader.ReadPositiveMpint();
        var e = reader.ReadPositiveMpint();
        var d = reader.ReadPositiveMpint();
        var iqmp = reader.ReadPositiveMpint();
        var p = reader.ReadPositiveMpint();
        var q = reader.ReadPositiveMpint();

        var modulusLength = n.Length;
        var halfLength = (modulusLength + 1) / 2;
        if (modulusLength == 0 || d.Length > modulusLength || p.Length > halfLength || q.Length > halfLength || iqmp.Length > halfLength)
        {
            throw new InvalidDataException("the RSA private fields have impossible sizes");
        }

        var bigP = Unsigned(p);
        var bigQ = Unsigned(q);
        var bigD = Unsigned(d);
        if (bigP.IsZero || bigQ.IsZero || bigP * bigQ != Unsigned(n) || Unsigned(iqmp) * bigQ % bigP != BigInteger.One)
        {
            throw new InvalidDataException("the RSA private fields are inconsistent (n ≠ p·q or iqmp is not q⁻¹ mod p)");
        }

        var parameters = new RSAParameters
        {
            Modulus = n.ToArray(),
            Exponent = e.ToArray(),
            D = Padded(bigD, modulusLength),
            P = Padded(bigP, halfLength),
            Q = Padded(bigQ, halfLength),
            DP = Padded(bigD % (bigP - 1), halfLength),
            DQ = Padded(bigD % (bigQ - 1), halfLength),
            InverseQ = Padded(Unsigned(iqmp), halfLength),
        };
        try
        {
            var rsa = RSA.Create();
            try
            {
                rsa.ImportParameters(parameters);
                return new RsaPrivateKey(rsa);
            }
            catch
            {
                rsa.Dispose();
                throw;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
            CryptographicOperations.ZeroMemory(parameters.P);
            CryptographicOperations.ZeroMemory(parameters.Q);
            CryptographicOperations.ZeroMemory(parameters.DP);
            CryptographicOperations.ZeroMemory(parameters.DQ);
        }
    }

    internal override void WriteOpenSshPrivateFields(SshWriter writer)
    {
        var parameters = _rsa.ExportParameters(includePrivateParameters: true);
        try
        {
            writer.WritePositiveMpint(parameters.Modulus);
            writer.WritePositiveMpint(parameters.Exponent);
            writer.WritePositiveMpint(parameters.D);
            writer.WritePositiveMpint(parameters.InverseQ);
            writer.WritePositiveMpint(parameters.P);
            writer.WritePositiveMpint(parameters.Q);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
            CryptographicOperations.ZeroMemory(parameters.P);
            CryptographicOperations.ZeroMemory(parameters.Q);
            CryptographicOperations.ZeroMemory(parameters.DP);
            CryptographicOperations.ZeroMemory(parameters.DQ);
        }
    }

    private protected override byte[] SignRaw(string algorithm, ReadOnlySpan<byte> data)
    {
        // Sign only offers rsa-sha2-*, so HashOf is never SHA-1 here.
        var hash = RsaPublicKey.HashOf(algorithm) ?? throw new ArgumentException($"'{algorithm}' is not an RSA signature algorithm", nameof(algorithm));
        lock (_gate)
        {
            // RFC 8332: the signature is exactly as long as the modulus, which .NET always produces.
            return _rsa.SignData(data, hash, RSASignaturePadding.Pkcs1);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rsa.Dispose();
        }
    }

    private static BigInteger Unsigned(ReadOnlySpan<byte> magnitude) => new(magnitude, isUnsigned: true, isBigEndian: true);

    private static byte[] Padded(BigInteger value, int length)
    {
        var bytes = new byte[length];
        if (!value.TryWriteBytes(bytes.AsSpan(length - value.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true))
        {
            throw new InvalidDataException("an RSA private field is longer than its slot");
        }

        return bytes;
    }
}
