using System.Security.Cryptography;
using HoopProxy.Ssh.Wire;

namespace HoopProxy.Ssh.Keys;

/// <summary>
/// An <c>ecdsa-sha2-nistp256</c> key (RFC 5656 §3.1): the blob is <c>string type || string "nistp256" || string Q</c>,
/// Q the uncompressed point (0x04 || X || Y). Signatures are <c>mpint r || mpint s</c> over SHA-256.
/// </summary>
public sealed class EcdsaP256PublicKey : SshPublicKey
{
    public const string CurveName = "nistp256";
    private const int CoordinateSize = 32;
    private const int PointSize = 1 + 2 * CoordinateSize;

    private readonly byte[] _x;
    private readonly byte[] _y;

    private EcdsaP256PublicKey(byte[] blob, byte[] x, byte[] y) : base(blob)
    {
        _x = x;
        _y = y;
    }

    public override string KeyType => SshKeyAlgorithms.EcdsaP256;

    public override IReadOnlyList<string> SignatureAlgorithms { get; } = [SshKeyAlgorithms.EcdsaP256];

    /// <summary>The public point on P-256, for importing into <see cref="ECDsa"/>.</summary>
    public ECParameters Parameters => new()
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint { X = _x, Y = _y },
    };

    /// <summary>From a .NET P-256 point; throws <see cref="SshProtocolException"/> when it is not on the curve.</summary>
    public static EcdsaP256PublicKey FromPoint(ECPoint q)
    {
        if (q.X is not { Length: CoordinateSize } || q.Y is not { Length: CoordinateSize })
        {
            throw new ArgumentException("a P-256 point has two 32-byte coordinates", nameof(q));
        }

        var point = new byte[PointSize];
        point[0] = 4;
        q.X.CopyTo(point, 1);
        q.Y.CopyTo(point, 1 + CoordinateSize);
        var blob = BuildBlob(SshKeyAlgorithms.EcdsaP256, w =>
        {
            w.WriteUtf8(CurveName);
            w.WriteString(point);
        });
        return FromEncodedPoint(blob, point);
    }

    internal static EcdsaP256PublicKey ReadFields(ref SshReader reader, byte[] blob)
    {
        var curve = reader.ReadString();
        if (!curve.SequenceEqual("nistp256"u8))
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError,
                $"an {SshKeyAlgorithms.EcdsaP256} key names the curve '{Printable(curve)}'");
        }

        return FromEncodedPoint(blob, reader.ReadString());
    }

    private static EcdsaP256PublicKey FromEncodedPoint(byte[] blob, ReadOnlySpan<byte> point)
    {
        // Only the uncompressed form: RFC 5656 §3.1 allows compression, but OpenSSH neither sends nor accepts it.
        if (point.Length != PointSize || point[0] != 4)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a nistp256 public key is not an uncompressed 65-byte point");
        }

        var key = new EcdsaP256PublicKey(blob, point.Slice(1, CoordinateSize).ToArray(), point.Slice(1 + CoordinateSize).ToArray());
        try
        {
            // The import checks the point is on the curve: an invalid point must fail here, at the key, not later.
            using var ecdsa = ECDsa.Create(key.Parameters);
        }
        catch (CryptographicException e)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a nistp256 public key is not a point on the curve", e);
        }

        return key;
    }

    private protected override bool VerifyRaw(string algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        Span<byte> fixedForm = stackalloc byte[2 * CoordinateSize];
        try
        {
            var reader = new SshReader(signature);
            if (!TryPlace(reader.ReadPositiveMpint(), fixedForm[..CoordinateSize])
                || !TryPlace(reader.ReadPositiveMpint(), fixedForm[CoordinateSize..])
                || !reader.End)
            {
                return false;
            }
        }
        catch (SshProtocolException)
        {
            return false;
        }

        try
        {
            using var ecdsa = ECDsa.Create(Parameters);
            return ecdsa.VerifyData(data, fixedForm, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Right-aligns an mpint's magnitude in a fixed 32-byte field; zero or an over-long value is no signature.</summary>
    private static bool TryPlace(ReadOnlySpan<byte> magnitude, Span<byte> field)
    {
        if (magnitude.IsEmpty || magnitude.Length > field.Length)
        {
            return false;
        }

        field.Clear();
        magnitude.CopyTo(field[(field.Length - magnitude.Length)..]);
        return true;
    }
}
