using System.Security.Cryptography;
using Rfc7748 = Org.BouncyCastle.Math.EC.Rfc7748.X25519;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// An ephemeral X25519 key pair (RFC 7748). We hold the scalar ourselves, rather than in BouncyCastle's key objects,
/// so that <see cref="Dispose"/> can zero it.
/// </summary>
internal sealed class X25519KeyPair : IDisposable
{
    public const int Size = 32;

    private readonly byte[] _scalar = new byte[Size];

    public X25519KeyPair()
    {
        RandomNumberGenerator.Fill(_scalar);
        Rfc7748.ScalarMultBase(_scalar, PublicKey);
    }

    /// <summary>For known-answer tests only: a fixed scalar (RFC 7748 clamps it when used).</summary>
    internal X25519KeyPair(ReadOnlySpan<byte> scalar)
    {
        scalar.CopyTo(_scalar);
        Rfc7748.ScalarMultBase(_scalar, PublicKey);
    }

    public byte[] PublicKey { get; } = new byte[Size];

    /// <summary>
    /// X25519(our scalar, peer's public key) into <paramref name="sharedSecret"/>. An all-zero result means the peer sent
    /// a low-order point, which gives an attacker a known secret: RFC 8731 §3 (and OpenSSH) refuse it.
    /// </summary>
    public void Agree(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret, string method)
    {
        KeyExchangeFailure.RequireLength(peerPublicKey, Size, method, "the peer's X25519 public key");
        Rfc7748.ScalarMult(_scalar, peerPublicKey, sharedSecret[..Size]);
        if (IsAllZero(sharedSecret[..Size]))
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
            throw KeyExchangeFailure.Because($"{method}: the peer's X25519 public key gives an all-zero shared secret (a low-order point)");
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_scalar);

    /// <summary>In constant time, like OpenSSH's timingsafe_bcmp: no early exit that would time the secret.</summary>
    private static bool IsAllZero(ReadOnlySpan<byte> bytes)
    {
        var acc = 0;
        foreach (var b in bytes)
        {
            acc |= b;
        }

        return acc == 0;
    }
}
