using System.Buffers.Binary;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// The Poly1305 one-time authenticator (RFC 8439 §2.5) over a whole message in one call, with 26-bit limbs as in
/// poly1305-donna-32 (which BouncyCastle's <c>Poly1305</c> also follows).
/// </summary>
/// <remarks>
/// Ours rather than BouncyCastle's because chacha20-poly1305 needs a new one-time key on every packet and
/// BouncyCastle's <c>Init</c> only takes a freshly allocated <c>KeyParameter</c>. This is a pure function of stack
/// locals: nothing to wipe, nothing allocated. The tests check it against RFC 8439's vectors and against BouncyCastle.
/// </remarks>
internal static class Poly1305
{
    public const int KeySize = 32;
    public const int TagSize = 16;

    private const uint Mask26 = 0x3ffffff;

    public static void ComputeTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag)
    {
        if (key.Length != KeySize || tag.Length < TagSize)
        {
            throw new ArgumentException($"Poly1305 takes a {KeySize}-byte key and writes a {TagSize}-byte tag");
        }

        // r, clamped (RFC 8439 §2.5.1) and split into 26-bit limbs; s_i = 5 r_i folds the reduction mod 2^130 - 5.
        var t0 = BinaryPrimitives.ReadUInt32LittleEndian(key);
        var t1 = BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
        var t2 = BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
        var t3 = BinaryPrimitives.ReadUInt32LittleEndian(key[12..]);
        ulong r0 = t0 & 0x3ffffff;
        ulong r1 = ((t0 >> 26) | (t1 << 6)) & 0x3ffff03;
        ulong r2 = ((t1 >> 20) | (t2 << 12)) & 0x3ffc0ff;
        ulong r3 = ((t2 >> 14) | (t3 << 18)) & 0x3f03fff;
        ulong r4 = (t3 >> 8) & 0x00fffff;
        ulong s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;

        ulong h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0;
        Span<byte> last = stackalloc byte[16];
        while (!message.IsEmpty)
        {
            scoped ReadOnlySpan<byte> block;
            uint highBit;
            if (message.Length >= 16)
            {
                block = message[..16];
                message = message[16..];
                highBit = 1u << 24;
            }
            else
            {
                // A final partial block gets its 0x01 byte inside the 16, so no 2^128 bit.
                last.Clear();
                message.CopyTo(last);
                last[message.Length] = 1;
                block = last;
                message = default;
                highBit = 0;
            }

            var m0 = BinaryPrimitives.ReadUInt32LittleEndian(block);
            var m1 = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
            var m2 = BinaryPrimitives.ReadUInt32LittleEndian(block[8..]);
            var m3 = BinaryPrimitives.ReadUInt32LittleEndian(block[12..]);
            h0 += m0 & Mask26;
            h1 += ((m0 >> 26) | (m1 << 6)) & Mask26;
            h2 += ((m1 >> 20) | (m2 << 12)) & Mask26;
            h3 += ((m2 >> 14) | (m3 << 18)) & Mask26;
            h4 += (m3 >> 8) | highBit;

            // h *= r (mod 2^130 - 5)
            var d0 = (h0 * r0) + (h1 * s4) + (h2 * s3) + (h3 * s2) + (h4 * s1);
            var d1 = (h0 * r1) + (h1 * r0) + (h2 * s4) + (h3 * s3) + (h4 * s2);
            var d2 = (h0 * r2) + (h1 * r1) + (h2 * r0) + (h3 * s4) + (h4 * s3);
            var d3 = (h0 * r3) + (h1 * r2) + (h2 * r1) + (h3 * r0) + (h4 * s4);
            var d4 = (h0 * r4) + (h1 * r3) + (h2 * r2) + (h3 * r1) + (h4 * r0);

            d1 += d0 >> 26; h0 = d0 & Mask26;
            d2 += d1 >> 26; h1 = d1 & Mask26;
            d3 += d2 >> 26; h2 = d2 & Mask26;
            d4 += d3 >> 26; h3 = d3 & Mask26;
            h0 += (d4 >> 26) * 5; h4 = d4 & Mask26;
            h1 += h0 >> 26; h0 &= Mask26;
        }

        // Carry fully, then subtract p = 2^130 - 5 if h >= p, choosing without a branch.
        ulong c;
        c = h1 >> 26; h1 &= Mask26; h2 += c;
        c = h2 >> 26; h2 &= Mask26; h3 += c;
        c = h3 >> 26; h3 &= Mask26; h4 += c;
        c = h4 >> 26; h4 &= Mask26; h0 += c * 5;
        c = h0 >> 26; h0 &= Mask26; h1 += c;

        var g0 = h0 + 5; c = g0 >> 26; g0 &= Mask26;
        var g1 = h1 + c; c = g1 >> 26; g1 &= Mask26;
        var g2 = h2 + c; c = g2 >> 26; g2 &= Mask26;
        var g3 = h3 + c; c = g3 >> 26; g3 &= Mask26;
        var g4 = h4 + c - (1UL << 26);

        // g4's top bit is set exactly when h < p: keep h then, g otherwise.
        var keepG = (g4 >> 63) - 1;
        h0 = (h0 & ~keepG) | (g0 & keepG);
        h1 = (h1 & ~keepG) | (g1 & keepG);
        h2 = (h2 & ~keepG) | (g2 & keepG);
        h3 = (h3 & ~keepG) | (g3 & keepG);
        h4 = (h4 & ~keepG) | (g4 & keepG & Mask26);

        // tag = (h + s) mod 2^128, s being the key's second half.
        var w0 = (uint)(h0 | (h1 << 26));
        var w1 = (uint)((h1 >> 6) | (h2 << 20));
        var w2 = (uint)((h2 >> 12) | (h3 << 14));
        var w3 = (uint)((h3 >> 18) | (h4 << 8));
        var f = (ulong)w0 + BinaryPrimitives.ReadUInt32LittleEndian(key[16..]);
        BinaryPrimitives.WriteUInt32LittleEndian(tag, (uint)f);
        f = (ulong)w1 + BinaryPrimitives.ReadUInt32LittleEndian(key[20..]) + (f >> 32);
        BinaryPrimitives.WriteUInt32LittleEndian(tag[4..], (uint)f);
        f = (ulong)w2 + BinaryPrimitives.ReadUInt32LittleEndian(key[24..]) + (f >> 32);
        BinaryPrimitives.WriteUInt32LittleEndian(tag[8..], (uint)f);
        f = (ulong)w3 + BinaryPrimitives.ReadUInt32LittleEndian(key[28..]) + (f >> 32);
        BinaryPrimitives.WriteUInt32LittleEndian(tag[12..], (uint)f);
    }
}
