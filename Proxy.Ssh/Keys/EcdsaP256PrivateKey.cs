using System.Security.Cryptography;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Keys;

/// <summary>An ECDSA P-256 private key; signs <c>ecdsa-sha2-nistp256</c> as <c>mpint r || mpint s</c> over SHA-256 (RFC 5656 §3.1.2).</summary>
public sealed class EcdsaP256PrivateKey : SshPrivateKey
{
    private const int ScalarSize = 32;

    private readonly ECDsa _ecdsa;
    private readonly EcdsaP256PublicKey _publicKey;

    // As for RSA: one shared instance, used by one thread at a time.
    private readonly Lock _gate = new();

    private EcdsaP256PrivateKey(ECDsa ecdsa)
    {
        _ecdsa = ecdsa;
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        if (!parameters.Curve.IsNamed || parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new ArgumentException($"an ECDSA key on curve {parameters.Curve.Oid.FriendlyName ?? parameters.Curve.Oid.Value} is not supported (nistp256 only)", nameof(ecdsa));
        }

        _publicKey = EcdsaP256PublicKey.FromPoint(parameters.Q);
    }

    public override SshPublicKey PublicKey => _publicKey;

    /// <summary>Takes ownership of <paramref name="ecdsa"/>, which must hold a P-256 private key.</summary>
    public static EcdsaP256PrivateKey FromECDsa(ECDsa ecdsa) => new(ecdsa);

    /// <summary>OpenSSH's private fields: <c>string "nistp256" || string Q || mpint d</c>.</summary>
    internal static EcdsaP256PrivateKey ReadOpenSshPrivateFields(ref SshReader reader)
    {
        var curve = reader.ReadString();
        if (!curve.SequenceEqual("nistp256"u8))
        {
            throw new InvalidDataException("the ECDSA private key names a curve other than nistp256");
        }

        var point = reader.ReadString();
        var scalar = reader.ReadPositiveMpint();
        if (point.Length != 65 || point[0] != 4 || scalar.IsEmpty || scalar.Length > ScalarSize)
        {
            throw new InvalidDataException("the ECDSA private fields have impossible sizes");
        }

        var d = new byte[ScalarSize];
        scalar.CopyTo(d.AsSpan(ScalarSize - scalar.Length));
        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point.Slice(1, 32).ToArray(), Y = point.Slice(33, 32).ToArray() },
            D = d,
        };
        try
        {
            // The import checks that Q is d·G, so a mismatched pair fails here.
            var ecdsa = ECDsa.Create(parameters);
            return new EcdsaP256PrivateKey(ecdsa);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    internal override void WriteOpenSshPrivateFields(SshWriter writer)
    {
        var parameters = _ecdsa.ExportParameters(includePrivateParameters: true);
        try
        {
            var point = new byte[65];
            point[0] = 4;
            parameters.Q.X!.CopyTo(point, 1);
            parameters.Q.Y!.CopyTo(point, 33);
            writer.WriteUtf8(EcdsaP256PublicKey.CurveName);
            writer.WriteString(point);
            writer.WritePositiveMpint(parameters.D);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    private protected override byte[] SignRaw(string algorithm, ReadOnlySpan<byte> data)
    {
        Span<byte> fixedForm = stackalloc byte[2 * ScalarSize];
        lock (_gate)
        {
            if (!_ecdsa.TrySignData(data, fixedForm, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation, out var written)
                || written != fixedForm.Length)
            {
                throw new CryptographicException("ECDSA signing produced no signature");
            }
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>(2 * ScalarSize + 10);
        var writer = new SshWriter(buffer);
        writer.WritePositiveMpint(fixedForm[..ScalarSize]);
        writer.WritePositiveMpint(fixedForm[ScalarSize..]);
        return buffer.WrittenSpan.ToArray();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ecdsa.Dispose();
        }
    }
}
