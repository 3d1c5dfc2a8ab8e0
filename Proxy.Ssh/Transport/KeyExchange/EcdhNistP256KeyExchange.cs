using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// ecdh-sha2-nistp256 (RFC 5656 §4): Q_C and Q_S are uncompressed SEC1 points (0x04 || X || Y, 65 bytes); K is the
/// x-coordinate of the shared point as an mpint. The peer's point is checked to lie on P-256 by the platform's import
/// (RFC 5656 §4 requires that check; without it an invalid-curve attack could recover our scalar).
/// </summary>
public sealed class EcdhNistP256KeyExchange : IKeyExchangeMethod
{
    public const string MethodName = "ecdh-sha2-nistp256";

    private const int CoordinateSize = 32;
    private const int PointSize = 1 + 2 * CoordinateSize;
    private const byte Uncompressed = 0x04;

    public string Name => MethodName;

    public HashAlgorithmName Hash => HashAlgorithmName.SHA256;

    public IKeyExchangeClient CreateClient() => new Client(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));

    public KeyExchangeResponse Respond(ReadOnlySpan<byte> clientValue)
    {
        using var peer = ImportPeerPoint(clientValue, "Q_C");
        using var server = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return new KeyExchangeResponse(ExportPoint(server), Agree(server, peer));
    }

    private static SharedSecret Agree(ECDiffieHellman ours, ECDiffieHellman peer)
    {
        var x = ours.DeriveRawSecretAgreement(peer.PublicKey);
        try
        {
            return SharedSecret.FromMpintMagnitude(x);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(x);
        }
    }

    private static byte[] ExportPoint(ECDiffieHellman key)
    {
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        var point = new byte[PointSize];
        point[0] = Uncompressed;
        q.X.AsSpan().CopyTo(point.AsSpan(1, CoordinateSize));
        q.Y.AsSpan().CopyTo(point.AsSpan(1 + CoordinateSize, CoordinateSize));
        return point;
    }

    /// <summary>
    /// Only the uncompressed form: it is what RFC 5656 implementations send, and OpenSSH sends nothing else. The point at
    /// infinity has no 65-byte encoding, so the length check refuses it too.
    /// </summary>
    private static ECDiffieHellman ImportPeerPoint(ReadOnlySpan<byte> point, string what)
    {
        KeyExchangeFailure.RequireLength(point, PointSize, MethodName, what);
        if (point[0] != Uncompressed)
        {
            throw KeyExchangeFailure.Because($"{MethodName}: {what} is not an uncompressed point (first byte 0x{point[0]:x2}, expected 0x04)");
        }

        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point.Slice(1, CoordinateSize).ToArray(), Y = point.Slice(1 + CoordinateSize, CoordinateSize).ToArray() },
        };
        try
        {
            return ECDiffieHellman.Create(parameters);
        }
        catch (CryptographicException e)
        {
            throw KeyExchangeFailure.Because($"{MethodName}: {what} is not a point on P-256", e);
        }
    }

    private sealed class Client : IKeyExchangeClient
    {
        private readonly ECDiffieHellman _keys;
        private bool _used;

        public Client(ECDiffieHellman keys)
        {
            _keys = keys;
            ClientValue = ExportPoint(keys);
        }

        public ReadOnlyMemory<byte> ClientValue { get; }

        public SharedSecret ComputeSharedSecret(ReadOnlySpan<byte> serverValue)
        {
            KeyExchangeFailure.UseOnce(ref _used, MethodName);
            try
            {
                using var peer = ImportPeerPoint(serverValue, "Q_S");
                return Agree(_keys, peer);
            }
            finally
            {
                _keys.Dispose();
            }
        }

        public void Dispose() => _keys.Dispose();
    }
}
