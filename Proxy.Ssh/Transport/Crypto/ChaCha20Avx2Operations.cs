using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>What both 256-bit ChaCha20 layouts do to a vector: the quarter round, its rotations, the XOR into the data.</summary>
internal static class ChaCha20Avx2Operations
{
    /// <summary>The ChaCha quarter round on every 32-bit lane at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void QuarterRound(ref Vector256<uint> a, ref Vector256<uint> b, ref Vector256<uint> c, ref Vector256<uint> d)
    {
        a += b; d = Rotate16(d ^ a);
        c += d; b = RotateLeft(b ^ c, 12);
        a += b; d = Rotate8(d ^ a);
        c += d; b = RotateLeft(b ^ c, 7);
    }

    /// <summary>XORs 32 keystream bytes into the data at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void XorAt<T>(Vector256<T> keystream, ref byte source, ref byte destination, int offset) =>
        (Vector256.LoadUnsafe(ref source, (nuint)offset) ^ keystream.AsByte()).StoreUnsafe(ref destination, (nuint)offset);

    // AVX-512VL rotates in one instruction (vprold); AVX2 alone needs two shifts and an or, or for byte multiples
    // one vpshufb.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> RotateLeft(Vector256<uint> value, [ConstantExpected(Min = 1, Max = 31)] byte count) =>
        Avx512F.VL.IsSupported
            ? Avx512F.VL.RotateLeft(value, count)
            : Vector256.ShiftLeft(value, count) | Vector256.ShiftRightLogical(value, 32 - count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotate16(Vector256<uint> value) =>
        Avx512F.VL.IsSupported
            ? Avx512F.VL.RotateLeft(value, 16)
            : Avx2.Shuffle(value.AsByte(), Vector256.Create((byte)2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotate8(Vector256<uint> value) =>
        Avx512F.VL.IsSupported
            ? Avx512F.VL.RotateLeft(value, 8)
            : Avx2.Shuffle(value.AsByte(), Vector256.Create((byte)3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14)).AsUInt32();
}
