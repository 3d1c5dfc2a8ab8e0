using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static HoopProxy.Ssh.Transport.Crypto.ChaCha20Avx2Operations;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// ChaCha20 four blocks at a time with AVX2 and no more than 16 vector registers: each vector holds one row of the
/// 4×4 state for two blocks (one per 128-bit half), so two blocks take four registers and the two pairs of a step
/// eight. The diagonal rounds rotate the rows into columns with <c>vpshufd</c> and back.
/// </summary>
/// <remarks>
/// <see cref="ChaCha20Vector256"/>'s layout, one vector per state word, needs 16 registers for the state alone plus
/// one for every rotation; with only AVX2 (no EVEX encoding) x64 has 16, and the JIT spills around every rotation,
/// which made it 3–4 times slower than with AVX-512's 32 registers. This layout costs a few shuffles per round and
/// nothing to transpose.
/// </remarks>
internal static class ChaCha20Vector256Rows
{
    public const int ChunkSize = 4 * OpenSshChaCha20.BlockSize;

    public static bool IsSupported => Avx2.IsSupported && BitConverter.IsLittleEndian;

    /// <summary>
    /// XORs as many whole 256-byte chunks of keystream (from block <paramref name="counter"/>) as
    /// <paramref name="input"/> holds into <paramref name="output"/>; returns the bytes done, the rest being the
    /// caller's. The spans have the same length and are the same memory or do not overlap.
    /// </summary>
    public static int XorWholeChunks(ReadOnlySpan<uint> key, ulong counter, ulong nonce, ReadOnlySpan<byte> input, Span<byte> output)
    {
        ref var source = ref MemoryMarshal.GetReference(input);
        ref var destination = ref MemoryMarshal.GetReference(output);
        var constants = Vector256.Create(
            ChaCha20Constants.Word0, ChaCha20Constants.Word1, ChaCha20Constants.Word2, ChaCha20Constants.Word3,
            ChaCha20Constants.Word0, ChaCha20Constants.Word1, ChaCha20Constants.Word2, ChaCha20Constants.Word3);
        var keyLow = Vector256.Create(key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]);
        var keyHigh = Vector256.Create(key[4], key[5], key[6], key[7], key[4], key[5], key[6], key[7]);

        var done = 0;
        for (; input.Length - done >= ChunkSize; done += ChunkSize, counter += 4)
        {
            // Pair 1 is blocks n and n+1, pair 2 blocks n+2 and n+3.
            var lastRow1 = LastRow(counter, nonce);
            var lastRow2 = LastRow(counter + 2, nonce);
            Vector256<uint> a1 = constants, b1 = keyLow, c1 = keyHigh, d1 = lastRow1;
            Vector256<uint> a2 = constants, b2 = keyLow, c2 = keyHigh, d2 = lastRow2;

            for (var round = 0; round < ChaCha20Constants.DoubleRounds; round++)
            {
                QuarterRound(ref a1, ref b1, ref c1, ref d1);
                QuarterRound(ref a2, ref b2, ref c2, ref d2);
                RowsToDiagonals(ref b1, ref c1, ref d1);
                RowsToDiagonals(ref b2, ref c2, ref d2);
                QuarterRound(ref a1, ref b1, ref c1, ref d1);
                QuarterRound(ref a2, ref b2, ref c2, ref d2);
                DiagonalsToRows(ref b1, ref c1, ref d1);
                DiagonalsToRows(ref b2, ref c2, ref d2);
            }

            XorPair(a1 + constants, b1 + keyLow, c1 + keyHigh, d1 + lastRow1, ref source, ref destination, done);
            XorPair(a2 + constants, b2 + keyLow, c2 + keyHigh, d2 + lastRow2, ref source, ref destination, done + (2 * OpenSshChaCha20.BlockSize));
        }

        return done;
    }

    /// <summary>Row 3 (words 12–15) of blocks <paramref name="counter"/> and the next, the 64-bit counter carrying as it will.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> LastRow(ulong counter, ulong nonce)
    {
        var next = counter + 1;
        return Vector256.Create(
            (uint)counter, (uint)(counter >> 32), (uint)nonce, (uint)(nonce >> 32),
            (uint)next, (uint)(next >> 32), (uint)nonce, (uint)(nonce >> 32));
    }

    /// <summary>Rotates rows 1, 2, 3 left by 1, 2, 3 words, so the column quarter round works on the diagonals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowsToDiagonals(ref Vector256<uint> b, ref Vector256<uint> c, ref Vector256<uint> d)
    {
        b = Avx2.Shuffle(b, 0b00_11_10_01);
        c = Avx2.Shuffle(c, 0b01_00_11_10);
        d = Avx2.Shuffle(d, 0b10_01_00_11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DiagonalsToRows(ref Vector256<uint> b, ref Vector256<uint> c, ref Vector256<uint> d)
    {
        b = Avx2.Shuffle(b, 0b10_01_00_11);
        c = Avx2.Shuffle(c, 0b01_00_11_10);
        d = Avx2.Shuffle(d, 0b00_11_10_01);
    }

    /// <summary>The low halves of the four rows are the first block of the pair, the high halves the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorPair(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref byte source, ref byte destination, int offset)
    {
        XorAt(Avx2.Permute2x128(a, b, 0x20), ref source, ref destination, offset);
        XorAt(Avx2.Permute2x128(c, d, 0x20), ref source, ref destination, offset + 32);
        XorAt(Avx2.Permute2x128(a, b, 0x31), ref source, ref destination, offset + OpenSshChaCha20.BlockSize);
        XorAt(Avx2.Permute2x128(c, d, 0x31), ref source, ref destination, offset + OpenSshChaCha20.BlockSize + 32);
    }
}
