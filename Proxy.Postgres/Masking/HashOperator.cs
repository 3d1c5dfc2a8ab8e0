using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace HoopProxy.Postgres.Masking;

/// <summary>
/// A keyed pseudonym: <c>h:</c> and the first 16 lowercase hex digits (64 bits) of HMAC-SHA256(key, UTF-8 of the
/// value). The same value gives the same pseudonym under the same key in every session and process, so joins,
/// GROUP BY and COUNT(DISTINCT) over masked values still work; without the key the value cannot be recovered or
/// confirmed by hashing guesses (unlike a plain hash of a 9-digit SSN). The label is not hashed: a card number gets
/// the same pseudonym in a column and inside free text. Formatting is part of the value: <c>4111 1111 1111 1111</c>
/// and <c>4111111111111111</c> get different pseudonyms.
/// </summary>
public sealed class HashOperator : MaskOperator
{
    public const int MinKeyBytes = 16;
    private const string Prefix = "h:";
    private const int HexDigits = 16;
    private const int StackEncodeLimit = 512;

    private readonly byte[] _key;

    public HashOperator(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinKeyBytes)
        {
            throw new ArgumentException($"a hash masking key needs at least {MinKeyBytes} bytes (32 random bytes recommended)", nameof(key));
        }

        _key = key.ToArray();
    }

    public override MaskOperatorKind Kind => MaskOperatorKind.Hash;

    public override int GetReplacementLength(ReadOnlySpan<char> original, string label) => Prefix.Length + HexDigits;

    public override void WriteReplacement(ReadOnlySpan<char> original, string label, Span<char> destination)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(original.Length);
        byte[]? rented = maxBytes > StackEncodeLimit ? ArrayPool<byte>.Shared.Rent(maxBytes) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[StackEncodeLimit];
            int byteCount = Encoding.UTF8.GetBytes(original, utf8);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(_key, utf8[..byteCount], mac);
            Prefix.CopyTo(destination);
            Convert.TryToHexStringLower(mac[..(HexDigits / 2)], destination[Prefix.Length..], out _);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
