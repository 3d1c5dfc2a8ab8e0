using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// ChaCha20 four blocks at a time: vector <c>x[i]</c> holds state word i of blocks n..n+3, so a quarter round on
/// vectors is four quarter rounds at once and needs no lane shuffling between column and diagonal rounds; the blocks
/// are transposed back into byte order only once, at the end.
/// </summary>
/// <remarks>
/// The transposition needs a two-input interleave, which the portable <see cref="Vector128"/> API lacks: SSE2's
/// unpack on x64 and AdvSimd's zip on Arm64 are the same operation, and the only platform-specific code here.
/// </remarks>
internal static class ChaCha20Vector128
{
    public const int ChunkSize = 4 * OpenSshChaCha20.BlockSize;

    public static bool IsSupported =>
        Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian && (Sse2.IsSupported || AdvSimd.Arm64.IsSupported);

    /// <summary>
    /// XORs as many whole 256-byte chunks of keystream (from block <paramref name="counter"/>) as
    /// <paramref name="input"/> holds into <paramref name="output"/>; returns the bytes done, the rest being the
    /// caller's. The spans have the same length and are the same memory or do not overlap.
    /// </summary>
    public static int XorWholeChunks(ReadOnlySpan<uint> key, ulong counter, ulong nonce, ReadOnlySpan<byte> input, Span<byte> output)
    {
        ref var source = ref MemoryMarshal.GetReference(input);
        ref var destination = ref MemoryMarshal.GetReference(output);
        var k0 = Vector128.Create(key[0]);
        var k1 = Vector128.Create(key[1]);
        var k2 = Vector128.Create(key[2]);
        var k3 = Vector128.Create(key[3]);
        var k4 = Vector128.Create(key[4]);
        var k5 = Vector128.Create(key[5]);
        var k6 = Vector128.Create(key[6]);
        var k7 = Vector128.Create(key[7]);
        var n0 = Vector128.Create((uint)nonce);
        var n1 = Vector128.Create((uint)(nonce >> 32));

        var done = 0;
        for (; input.Length - done >= ChunkSize; done += ChunkSize, counter += 4)
        {
            // Block n+i has counter + i; a low word that wraps carries into the high word of that lane only.
            var counterLow = Vector128.Create((uint)counter) + Vector128.Create(0u, 1, 2, 3);
            var carried = Vector128.LessThan(counterLow, Vector128.Create((uint)counter));
            var counterHigh = Vector128.Create((uint)(counter >> 32)) - carried;

            var x0 = Vector128.Create(ChaCha20Constants.Word0);
            var x1 = Vector128.Create(ChaCha20Constants.Word1);
            var x2 = Vector128.Create(ChaCha20Constants.Word2);
            var x3 = Vector128.Create(ChaCha20Constants.Word3);
            Vector128<uint> x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
            Vector128<uint> x12 = counterLow, x13 = counterHigh, x14 = n0, x15 = n1;

            for (var round = 0; round < ChaCha20Constants.DoubleRounds; round++)
            {
                QuarterRound(ref x0, ref x4, ref x8, ref x12);
                QuarterRound(ref x1, ref x5, ref x9, ref x13);
                QuarterRound(ref x2, ref x6, ref x10, ref x14);
                QuarterRound(ref x3, ref x7, ref x11, ref x15);
                QuarterRound(ref x0, ref x5, ref x10, ref x15);
                QuarterRound(ref x1, ref x6, ref x11, ref x12);
                QuarterRound(ref x2, ref x7, ref x8, ref x13);
                QuarterRound(ref x3, ref x4, ref x9, ref x14);
            }

            x0 += Vector128.Create(ChaCha20Constants.Word0);
            x1 += Vector128.Create(ChaCha20Constants.Word1);
            x2 += Vector128.Create(ChaCha20Constants.Word2);
            x3 += Vector128.Create(ChaCha20Constants.Word3);
            x4 += k0; x5 += k1; x6 += k2; x7 += k3;
            x8 += k4; x9 += k5; x10 += k6; x11 += k7;
            x12 += counterLow; x13 += counterHigh; x14 += n0; x15 += n1;

            // Words 0–3 of the four blocks, then 4–7, 8–11, 12–15: 16 bytes of each block at a time.
            XorFourBlocks(x0, x1, x2, x3, ref source, ref destination, done);
            XorFourBlocks(x4, x5, x6, x7, ref source, ref destination, done + 16);
            XorFourBlocks(x8, x9, x10, x11, ref source, ref destination, done + 32);
            XorFourBlocks(x12, x13, x14, x15, ref source, ref destination, done + 48);
        }

        return done;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d)
    {
        a += b; d = Rotate16(d ^ a);
        c += d; b = RotateLeft(b ^ c, 12);
        a += b; d = Rotate8(d ^ a);
        c += d; b = RotateLeft(b ^ c, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> RotateLeft(Vector128<uint> value, [ConstantExpected(Min = 1, Max = 31)] int count) =>
        Vector128.ShiftLeft(value, count) | Vector128.ShiftRightLogical(value, 32 - count);

    // Byte-multiple rotations are one byte shuffle (pshufb, tbl) instead of two shifts and an or.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotate16(Vector128<uint> value) =>
        Vector128.Shuffle(value.AsByte(), Vector128.Create((byte)2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotate8(Vector128<uint> value) =>
        Vector128.Shuffle(value.AsByte(), Vector128.Create((byte)3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14)).AsUInt32();

    /// <summary>
    /// Transposes four state words of four blocks (<paramref name="a"/> = word w of blocks 0–3, …) into the 16
    /// keystream bytes of each block, and XORs them in at <paramref name="offset"/> + 64 × block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorFourBlocks(Vector128<uint> a, Vector128<uint> b, Vector128<uint> c, Vector128<uint> d, ref byte source, ref byte destination, int offset)
    {
        var ab01 = InterleaveLow(a, b);
        var ab23 = InterleaveHigh(a, b);
        var cd01 = InterleaveLow(c, d);
        var cd23 = InterleaveHigh(c, d);
        XorAt(InterleaveLow(ab01.AsUInt64(), cd01.AsUInt64()), ref source, ref destination, offset);
        XorAt(InterleaveHigh(ab01.AsUInt64(), cd01.AsUInt64()), ref source, ref destination, offset + OpenSshChaCha20.BlockSize);
        XorAt(InterleaveLow(ab23.AsUInt64(), cd23.AsUInt64()), ref source, ref destination, offset + (2 * OpenSshChaCha20.BlockSize));
        XorAt(InterleaveHigh(ab23.AsUInt64(), cd23.AsUInt64()), ref source, ref destination, offset + (3 * OpenSshChaCha20.BlockSize));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorAt(Vector128<ulong> keystream, ref byte source, ref byte destination, int offset) =>
        (Vector128.LoadUnsafe(ref source, (nuint)offset) ^ keystream.AsByte()).StoreUnsafe(ref destination, (nuint)offset);

    /// <summary>[a0 b0 a1 b1]</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> InterleaveLow(Vector128<uint> a, Vector128<uint> b) =>
        Sse2.IsSupported ? Sse2.UnpackLow(a, b) : AdvSimd.Arm64.ZipLow(a, b);

    /// <summary>[a2 b2 a3 b3]</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> InterleaveHigh(Vector128<uint> a, Vector128<uint> b) =>
        Sse2.IsSupported ? Sse2.UnpackHigh(a, b) : AdvSimd.Arm64.ZipHigh(a, b);

    /// <summary>[a0 b0]</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> InterleaveLow(Vector128<ulong> a, Vector128<ulong> b) =>
        Sse2.IsSupported ? Sse2.UnpackLow(a, b) : AdvSimd.Arm64.ZipLow(a, b);

    /// <summary>[a1 b1]</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> InterleaveHigh(Vector128<ulong> a, Vector128<ulong> b) =>
        Sse2.IsSupported ? Sse2.UnpackHigh(a, b) : AdvSimd.Arm64.ZipHigh(a, b);
}
