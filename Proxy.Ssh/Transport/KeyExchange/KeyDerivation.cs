using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>The six keys of RFC 4253 §7.2, by the letter that derives each.</summary>
public enum DerivedKey : byte
{
    InitialIvClientToServer = (byte)'A',
    InitialIvServerToClient = (byte)'B',
    EncryptionKeyClientToServer = (byte)'C',
    EncryptionKeyServerToClient = (byte)'D',
    IntegrityKeyClientToServer = (byte)'E',
    IntegrityKeyServerToClient = (byte)'F',
}

/// <summary>Key derivation of RFC 4253 §7.2, as OpenSSH's derive_key does it.</summary>
public static class KeyDerivation
{
    /// <summary>
    /// K1 = HASH(K || H || letter || session_id), Kn = HASH(K || H || K1 || … || Kn-1), key = the first
    /// <paramref name="length"/> bytes of K1 || K2 || …. K is written as it encodes itself (mpint or string); H and
    /// session_id are raw hash outputs with no length prefix. session_id is the H of the connection's first exchange, so
    /// it stays the same across re-keying.
    /// </summary>
    public static byte[] Derive(HashAlgorithmName hash, SharedSecret sharedSecret, ReadOnlySpan<byte> exchangeHash, ReadOnlySpan<byte> sessionId, DerivedKey key, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        using var hashing = IncrementalHash.CreateHash(hash);
        var blockSize = hashing.HashLengthInBytes;
        var blocks = Math.Max(1, (length + blockSize - 1) / blockSize);
        var material = new byte[blocks * blockSize];
        try
        {
            hashing.AppendData(sharedSecret.Encoded);
            hashing.AppendData(exchangeHash);
            hashing.AppendData([(byte)key]);
            hashing.AppendData(sessionId);
            hashing.GetHashAndReset(material.AsSpan(0, blockSize));

            for (var have = blockSize; have < length; have += blockSize)
            {
                hashing.AppendData(sharedSecret.Encoded);
                hashing.AppendData(exchangeHash);
                hashing.AppendData(material.AsSpan(0, have));
                hashing.GetHashAndReset(material.AsSpan(have, blockSize));
            }

            return material.AsSpan(0, length).ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }
}
