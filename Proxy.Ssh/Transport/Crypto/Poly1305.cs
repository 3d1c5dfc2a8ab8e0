using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// The Poly1305 one-time authenticator (RFC 8439 §2.5) over a whole message in one call, with 26-bit limbs as in
/// poly1305-donna-32 (which BouncyCastle's <c>Poly1305</c> also follows). Long messages go through
/// <see cref="Poly1305Vector256"/> first, four blocks at a time; the blocks it leaves, and everything on machines
/// without AVX2, are absorbed here one at a time.
/// </summary>
/// <remarks>
/// <para>Ours rather than BouncyCastle's because chacha20-poly1305 needs a new one-time key on every packet and
/// BouncyCastle's <c>Init</c> only takes a freshly allocated <c>KeyParameter</c>. This is a pure function of stack
/// locals: nothing to wipe, nothing allocated. The tests check it against RFC 8439's vectors and against BouncyCastle.</para>
/// <para>poly1305-donna-64 (three 44-bit limbs, 9 64×64→128-bit products per block instead of 25 64-bit ones) was
/// tried and was no faster on .NET 10 x64: <c>Math.BigMul</c> returns its low half through memory and the extra
/// registers it needs spill. Absorbing four blocks per step with AVX2 is what made the difference.</para>
/// </remarks>
internal static class Poly1305
{
    public const int KeySize = 32;
    public const int TagSize = 16;
    public const int BlockSize = 16;

    internal const ulong Mask26 = 0x3ffffff;

    public static void ComputeTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag) =>
        ComputeTag(key, message, tag, Poly1305Implementations.Fastest);

    /// <summary>As <see cref="ComputeTag(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> with the implementation forced (the tests compare them).</summary>
    internal static void ComputeTag(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, Span<byte> tag, Poly1305Implementation implementation)
    {
        if (key.Length != KeySize || tag.Length < TagSize)
        {
            throw new ArgumentException($"Poly1305 takes a {KeySize}-byte key and writes a {TagSize}-byte tag");
        }

        if (!Poly1305Implementations.IsSupported(implementation))
        {
            throw new PlatformNotSupportedException($"the {implementation} Poly1305 is not accelerated on this machine");
        }

        // r, clamped (RFC 8439 §2.5.1) and split into 26-bit limbs.
        var t0 = BinaryPrimitives.ReadUInt32LittleEndian(key);
        var t1 = BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
        var t2 = BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
        var t3 = BinaryPrimitives.ReadUInt32LittleEndian(key[12..]);
        ulong r0 = t0 & 0x3ffffff;
        ulong r1 = ((t0 >> 26) | (t1 << 6)) & 0x3ffff03;
        ulong r2 = ((t1 >> 20) | (t2 << 12)) & 0x3ffc0ff;
        ulong r3 = ((t2 >> 14) | (t3 << 18)) & 0x3f03fff;
        ulong r4 = (t3 >> 8) & 0x00fffff;

        ulong h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0;
        if (implementation == Poly1305Implementation.Vector256 && message.Length >= Poly1305Vector256.MinimumLength)
        {
            var done = Poly1305Vector256.AbsorbWholeGroups(r0, r1, r2, r3, r4, message, out h0, out h1, out h2, out h3, out h4);
            message = message[done..];
        }

        AbsorbOneAtATime(r0, r1, r2, r3, r4, message, ref h0, ref h1, ref h2, ref h3, ref h4);
        Finish(h0, h1, h2, h3, h4, key[16..], tag);
    }

    /// <summary>
    /// d = a · b mod 2^130 - 5, partly reduced: limbs under 2^26 but for d1, which may exceed it a little. The inputs'
    /// limbs may be up to 2^28 (the 64-bit sums of products stay under 2^62).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Multiply(
        ulong a0, ulong a1, ulong a2, ulong a3, ulong a4, ulong b0, ulong b1, ulong b2, ulong b3, ulong b4,
        out ulong d0, out ulong d1, out ulong d2, out ulong d3, out ulong d4)
    {
        // The part of a product above 2^130 is worth 5 times as much at the bottom: s_i = 5 b_i folds it in.
        ulong s1 = b1 * 5, s2 = b2 * 5, s3 = b3 * 5, s4 = b4 * 5;
        var e0 = (a0 * b0) + (a1 * s4) + (a2 * s3) + (a3 * s2) + (a4 * s1);
        var e1 = (a0 * b1) + (a1 * b0) + (a2 * s4) + (a3 * s3) + (a4 * s2);
        var e2 = (a0 * b2) + (a1 * b1) + (a2 * b0) + (a3 * s4) + (a4 * s3);
        var e3 = (a0 * b3) + (a1 * b2) + (a2 * b1) + (a3 * b0) + (a4 * s4);
        var e4 = (a0 * b4) + (a1 * b3) + (a2 * b2) + (a3 * b1) + (a4 * b0);

        e1 += e0 >> 26; d0 = e0 & Mask26;
        e2 += e1 >> 26; d1 = e1 & Mask26;
        e3 += e2 >> 26; d2 = e2 & Mask26;
        e4 += e3 >> 26; d3 = e3 & Mask26;
        d0 += (e4 >> 26) * 5; d4 = e4 & Mask26;
        d1 += d0 >> 26; d0 &= Mask26;
    }

    /// <summary>h = (h + block) · r for each 16-byte block, the last one possibly partial.</summary>
    private static void AbsorbOneAtATime(
        ulong r0, ulong r1, ulong r2, ulong r3, ulong r4, ReadOnlySpan<byte> message,
        ref ulong accumulator0, ref ulong accumulator1, ref ulong accumulator2, ref ulong accumulator3, ref ulong accumulator4)
    {
        // Locals, not the ref parameters, in the loop: what a ref points to is read and written through memory.
        ulong h0 = accumulator0, h1 = accumulator1, h2 = accumulator2, h3 = accumulator3, h4 = accumulator4;
        Span<byte> last = stackalloc byte[BlockSize];
        while (!message.IsEmpty)
        {
            scoped ReadOnlySpan<byte> block;
            uint highBit;
            if (message.Length >= BlockSize)
            {
                block = message[..BlockSize];
                message = message[BlockSize..];
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
            Multiply(h0, h1, h2, h3, h4, r0, r1, r2, r3, r4, out h0, out h1, out h2, out h3, out h4);
        }

        (accumulator0, accumulator1, accumulator2, accumulator3, accumulator4) = (h0, h1, h2, h3, h4);
    }

    /// <summary>tag = (h mod 2^130 - 5) + s mod 2^128, s being the key's second half.</summary>
    private static void Finish(ulong h0, ulong h1, ulong h2, ulong h3, ulong h4, ReadOnlySpan<byte> s, Span<byte> tag)
    {
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

        var w0 = (uint)(h0 | (h1 << 26));
        var w1 = (uint)((h1 >> 6) | (h2 << 20));
        var w2 = (uint)((h2 >> 12) | (h3 << 14));
        var w3 = (uint)((h3 >> 18) | (h4 << 8));
        var f = (ulong)w0 + BinaryPrimitives.ReadUInt32LittleEndian(s);
        BinaryPrimitives.WriteUInt32LittleEndian(tag, (uint)f);
        f = (ulong)w1 + BinaryPrimitives.ReadUInt32LittleEndian(s[4..]) + (f >> 32);
        BinaryPrimitives.WriteUInt32LittleEndian(tag[4..], (uint)f);
        f = (ulong)w2 + BinaryPrimitives.ReadUInt32LittleEndian(s[8..]) + (f >> 32);
        BinaryPrimitives.WriteUInt32LittleEndian(tag[8..], (uint)f);
        f = (ulong)w3 + BinaryPrimitives.ReadUInt32LittleEndian(s[12..]) + (f >> 32);
        BinaryPrimitives.WriteUInt32LittleEndian(tag[12..], (uint)f);
    }
}
