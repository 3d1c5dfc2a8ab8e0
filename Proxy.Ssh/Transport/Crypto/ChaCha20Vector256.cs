using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static HoopProxy.Ssh.Transport.Crypto.ChaCha20Avx2Operations;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// ChaCha20 eight blocks at a time with AVX2, laid out as <see cref="ChaCha20Vector128"/> is: vector <c>x[i]</c>
/// holds state word i of blocks n..n+7, transposed into byte order once the rounds are done.
/// </summary>
/// <remarks>
/// <para>AVX2's unpack works within each 128-bit half, so after the in-half transposition one half of a vector holds
/// 16 bytes of block j and the other 16 bytes of block j+4; <c>vperm2i128</c> pairs the halves of one block into 32
/// contiguous bytes.</para>
/// <para>The 16 state vectors and a temporary need more than the 16 registers x64 has without AVX-512: only with
/// AVX-512VL (EVEX encoding: 32 registers, and <c>vprold</c>) is this the fastest layout (~8 µs per 32 KiB against
/// ~22 µs with AVX2 alone, where <see cref="ChaCha20Vector256Rows"/> takes ~15 µs).</para>
/// </remarks>
internal static class ChaCha20Vector256
{
    public const int ChunkSize = 8 * OpenSshChaCha20.BlockSize;

    public static bool IsSupported => Avx2.IsSupported && BitConverter.IsLittleEndian;

    /// <summary>
    /// XORs as many whole 512-byte chunks of keystream (from block <paramref name="counter"/>) as
    /// <paramref name="input"/> holds into <paramref name="output"/>; returns the bytes done, the rest being the
    /// caller's. The spans have the same length and are the same memory or do not overlap.
    /// </summary>
    public static int XorWholeChunks(ReadOnlySpan<uint> key, ulong counter, ulong nonce, ReadOnlySpan<byte> input, Span<byte> output)
    {
        ref var source = ref MemoryMarshal.GetReference(input);
        ref var destination = ref MemoryMarshal.GetReference(output);
        var k0 = Vector256.Create(key[0]);
        var k1 = Vector256.Create(key[1]);
        var k2 = Vector256.Create(key[2]);
        var k3 = Vector256.Create(key[3]);
        var k4 = Vector256.Create(key[4]);
        var k5 = Vector256.Create(key[5]);
        var k6 = Vector256.Create(key[6]);
        var k7 = Vector256.Create(key[7]);
        var n0 = Vector256.Create((uint)nonce);
        var n1 = Vector256.Create((uint)(nonce >> 32));

        var done = 0;
        for (; input.Length - done >= ChunkSize; done += ChunkSize, counter += 8)
        {
            // Block n+i has counter + i; a low word that wraps carries into the high word of that lane only.
            var counterLow = Vector256.Create((uint)counter) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            var carried = Vector256.LessThan(counterLow, Vector256.Create((uint)counter));
            var counterHigh = Vector256.Create((uint)(counter >> 32)) - carried;

            var x0 = Vector256.Create(ChaCha20Constants.Word0);
            var x1 = Vector256.Create(ChaCha20Constants.Word1);
            var x2 = Vector256.Create(ChaCha20Constants.Word2);
            var x3 = Vector256.Create(ChaCha20Constants.Word3);
            Vector256<uint> x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
            Vector256<uint> x12 = counterLow, x13 = counterHigh, x14 = n0, x15 = n1;

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

            x0 += Vector256.Create(ChaCha20Constants.Word0);
            x1 += Vector256.Create(ChaCha20Constants.Word1);
            x2 += Vector256.Create(ChaCha20Constants.Word2);
            x3 += Vector256.Create(ChaCha20Constants.Word3);
            x4 += k0; x5 += k1; x6 += k2; x7 += k3;
            x8 += k4; x9 += k5; x10 += k6; x11 += k7;
            x12 += counterLow; x13 += counterHigh; x14 += n0; x15 += n1;

            // Bytes 0–31 of each block come from words 0–7, bytes 32–63 from words 8–15.
            XorEightHalfBlocks(x0, x1, x2, x3, x4, x5, x6, x7, ref source, ref destination, done);
            XorEightHalfBlocks(x8, x9, x10, x11, x12, x13, x14, x15, ref source, ref destination, done + 32);
        }

        return done;
    }

    /// <summary>
    /// Transposes eight state words (<paramref name="w0"/> = word w of blocks 0–7, …) into 32 keystream bytes of each
    /// of the eight blocks, and XORs them in at <paramref name="offset"/> + 64 × block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorEightHalfBlocks(
        Vector256<uint> w0, Vector256<uint> w1, Vector256<uint> w2, Vector256<uint> w3,
        Vector256<uint> w4, Vector256<uint> w5, Vector256<uint> w6, Vector256<uint> w7,
        ref byte source, ref byte destination, int offset)
    {
        // After these, low (high) half of first0..3 = words 0–3 of blocks 0..3 (4..7), and the same for second* with words 4–7.
        TransposeInHalves(w0, w1, w2, w3, out var first0, out var first1, out var first2, out var first3);
        TransposeInHalves(w4, w5, w6, w7, out var second0, out var second1, out var second2, out var second3);

        const int Block = OpenSshChaCha20.BlockSize;
        XorAt(Avx2.Permute2x128(first0, second0, 0x20), ref source, ref destination, offset);
        XorAt(Avx2.Permute2x128(first1, second1, 0x20), ref source, ref destination, offset + Block);
        XorAt(Avx2.Permute2x128(first2, second2, 0x20), ref source, ref destination, offset + (2 * Block));
        XorAt(Avx2.Permute2x128(first3, second3, 0x20), ref source, ref destination, offset + (3 * Block));
        XorAt(Avx2.Permute2x128(first0, second0, 0x31), ref source, ref destination, offset + (4 * Block));
        XorAt(Avx2.Permute2x128(first1, second1, 0x31), ref source, ref destination, offset + (5 * Block));
        XorAt(Avx2.Permute2x128(first2, second2, 0x31), ref source, ref destination, offset + (6 * Block));
        XorAt(Avx2.Permute2x128(first3, second3, 0x31), ref source, ref destination, offset + (7 * Block));
    }

    /// <summary>The 4×4 transposition of <see cref="ChaCha20Vector128"/>, in both 128-bit halves at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeInHalves(
        Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d,
        out Vector256<ulong> block0, out Vector256<ulong> block1, out Vector256<ulong> block2, out Vector256<ulong> block3)
    {
        var ab01 = Avx2.UnpackLow(a, b).AsUInt64();
        var ab23 = Avx2.UnpackHigh(a, b).AsUInt64();
        var cd01 = Avx2.UnpackLow(c, d).AsUInt64();
        var cd23 = Avx2.UnpackHigh(c, d).AsUInt64();
        block0 = Avx2.UnpackLow(ab01, cd01);
        block1 = Avx2.UnpackHigh(ab01, cd01);
        block2 = Avx2.UnpackLow(ab23, cd23);
        block3 = Avx2.UnpackHigh(ab23, cd23);
    }
}
