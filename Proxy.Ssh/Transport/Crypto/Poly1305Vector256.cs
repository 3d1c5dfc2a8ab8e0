using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// Poly1305 four blocks at a time with AVX2: four independent accumulators, one per 64-bit lane in 26-bit limbs,
/// each multiplied by r^4 per step (<c>vpmuludq</c>: 32×32→64 bits, four lanes at once), then by r^4, r^3, r^2 and r
/// to line their blocks' powers up, and summed.
/// </summary>
/// <remarks>
/// For blocks m_1 … m_n, Poly1305 is h = Σ m_j · r^(n-j+1). With n a multiple of four, accumulator i gathering
/// blocks j ≡ i (mod 4) as A_i ← A_i · r^4 + m_j ends at Σ m_j · r^(n-j-(4-i)) over its blocks, so multiplying it
/// by r^(4-i) gives its share of h.
/// </remarks>
internal static class Poly1305Vector256
{
    public const int GroupSize = 4 * Poly1305.BlockSize;

    /// <summary>Below this, computing r^2, r^3 and r^4 and combining the lanes cost more than the four-way steps save.</summary>
    public const int MinimumLength = 4 * GroupSize;

    public static bool IsSupported => Avx2.IsSupported && BitConverter.IsLittleEndian;

    /// <summary>
    /// Absorbs the whole 64-byte groups at the start of <paramref name="message"/> (at least one) into a fresh
    /// accumulator h, given r in 26-bit limbs; returns the bytes absorbed. h comes out with limbs under 2^26 (h1 a
    /// little over), ready for <see cref="Poly1305"/> to absorb the rest one block at a time.
    /// </summary>
    public static int AbsorbWholeGroups(
        ulong r0, ulong r1, ulong r2, ulong r3, ulong r4, ReadOnlySpan<byte> message,
        out ulong h0, out ulong h1, out ulong h2, out ulong h3, out ulong h4)
    {
        var groups = message.Length / GroupSize;
        if (groups == 0)
        {
            throw new ArgumentException($"at least {GroupSize} bytes are needed, got {message.Length}", nameof(message));
        }

        Poly1305.Multiply(r0, r1, r2, r3, r4, r0, r1, r2, r3, r4, out var sq0, out var sq1, out var sq2, out var sq3, out var sq4);
        Poly1305.Multiply(sq0, sq1, sq2, sq3, sq4, r0, r1, r2, r3, r4, out var cu0, out var cu1, out var cu2, out var cu3, out var cu4);
        Poly1305.Multiply(sq0, sq1, sq2, sq3, sq4, sq0, sq1, sq2, sq3, sq4, out var qu0, out var qu1, out var qu2, out var qu3, out var qu4);

        ref var start = ref MemoryMarshal.GetReference(message);
        LoadGroup(ref start, 0, out var a0, out var a1, out var a2, out var a3, out var a4);

        var p0 = Vector256.Create(qu0);
        var p1 = Vector256.Create(qu1);
        var p2 = Vector256.Create(qu2);
        var p3 = Vector256.Create(qu3);
        var p4 = Vector256.Create(qu4);
        var (q1, q2, q3, q4) = (TimesFive(p1), TimesFive(p2), TimesFive(p3), TimesFive(p4));
        for (var group = 1; group < groups; group++)
        {
            MultiplyLanes(ref a0, ref a1, ref a2, ref a3, ref a4, p0, p1, p2, p3, p4, q1, q2, q3, q4);
            LoadGroup(ref start, group * GroupSize, out var m0, out var m1, out var m2, out var m3, out var m4);
            a0 += m0; a1 += m1; a2 += m2; a3 += m3; a4 += m4;
        }

        // LoadGroup puts blocks 0, 2, 1, 3 of each group in lanes 0–3: those lanes need r^4, r^2, r^3 and r.
        var f1 = Vector256.Create(qu1, sq1, cu1, r1);
        var f2 = Vector256.Create(qu2, sq2, cu2, r2);
        var f3 = Vector256.Create(qu3, sq3, cu3, r3);
        var f4 = Vector256.Create(qu4, sq4, cu4, r4);
        MultiplyLanes(ref a0, ref a1, ref a2, ref a3, ref a4,
            Vector256.Create(qu0, sq0, cu0, r0), f1, f2, f3, f4, TimesFive(f1), TimesFive(f2), TimesFive(f3), TimesFive(f4));

        // Each lane's limbs are under 2^27, so the sums are under 2^29; carry them back under 2^26.
        h0 = Vector256.Sum(a0);
        h1 = Vector256.Sum(a1);
        h2 = Vector256.Sum(a2);
        h3 = Vector256.Sum(a3);
        h4 = Vector256.Sum(a4);
        h1 += h0 >> 26; h0 &= Poly1305.Mask26;
        h2 += h1 >> 26; h1 &= Poly1305.Mask26;
        h3 += h2 >> 26; h2 &= Poly1305.Mask26;
        h4 += h3 >> 26; h3 &= Poly1305.Mask26;
        h0 += (h4 >> 26) * 5; h4 &= Poly1305.Mask26;
        h1 += h0 >> 26; h0 &= Poly1305.Mask26;
        return groups * GroupSize;
    }

    /// <summary>
    /// The four blocks at <paramref name="offset"/> split into 26-bit limbs with the 2^128 bit set, blocks 0, 2, 1, 3
    /// in lanes 0–3 (the order AVX2's in-half unpack leaves them in; not permuting saves an instruction per group).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadGroup(
        ref byte start, int offset,
        out Vector256<ulong> m0, out Vector256<ulong> m1, out Vector256<ulong> m2, out Vector256<ulong> m3, out Vector256<ulong> m4)
    {
        var blocks01 = Vector256.LoadUnsafe(ref start, (nuint)offset).AsUInt64();
        var blocks23 = Vector256.LoadUnsafe(ref start, (nuint)(offset + 32)).AsUInt64();
        var low = Avx2.UnpackLow(blocks01, blocks23);
        var high = Avx2.UnpackHigh(blocks01, blocks23);
        var mask = Vector256.Create(Poly1305.Mask26);
        m0 = low & mask;
        m1 = (low >> 26) & mask;
        m2 = ((low >> 52) | (high << 12)) & mask;
        m3 = (high >> 14) & mask;
        m4 = (high >> 40) | Vector256.Create(1UL << 24);
    }

    /// <summary>
    /// a = a · b mod 2^130 - 5 in each lane, partly reduced (limbs under 2^26, a1 a little over); s_i = 5 b_i folds
    /// the part above 2^130 back in. Operands must fit in 32 bits (vpmuludq reads the low half of each lane): a's
    /// limbs are under 2^27, b's under 2^26 and s's under 2^29.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyLanes(
        ref Vector256<ulong> a0, ref Vector256<ulong> a1, ref Vector256<ulong> a2, ref Vector256<ulong> a3, ref Vector256<ulong> a4,
        Vector256<ulong> b0, Vector256<ulong> b1, Vector256<ulong> b2, Vector256<ulong> b3, Vector256<ulong> b4,
        Vector256<ulong> s1, Vector256<ulong> s2, Vector256<ulong> s3, Vector256<ulong> s4)
    {
        var e0 = Mul(a0, b0) + Mul(a1, s4) + Mul(a2, s3) + Mul(a3, s2) + Mul(a4, s1);
        var e1 = Mul(a0, b1) + Mul(a1, b0) + Mul(a2, s4) + Mul(a3, s3) + Mul(a4, s2);
        var e2 = Mul(a0, b2) + Mul(a1, b1) + Mul(a2, b0) + Mul(a3, s4) + Mul(a4, s3);
        var e3 = Mul(a0, b3) + Mul(a1, b2) + Mul(a2, b1) + Mul(a3, b0) + Mul(a4, s4);
        var e4 = Mul(a0, b4) + Mul(a1, b3) + Mul(a2, b2) + Mul(a3, b1) + Mul(a4, b0);

        var mask = Vector256.Create(Poly1305.Mask26);
        e1 += e0 >> 26; a0 = e0 & mask;
        e2 += e1 >> 26; a1 = e1 & mask;
        e3 += e2 >> 26; a2 = e2 & mask;
        e4 += e3 >> 26; a3 = e3 & mask;
        a0 += TimesFive(e4 >> 26); a4 = e4 & mask;
        a1 += a0 >> 26; a0 &= mask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> TimesFive(Vector256<ulong> value) => value + (value << 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Mul(Vector256<ulong> a, Vector256<ulong> b) => Avx2.Multiply(a.AsUInt32(), b.AsUInt32());
}
