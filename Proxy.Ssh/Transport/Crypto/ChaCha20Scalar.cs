using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// ChaCha20 one block at a time in plain 32-bit arithmetic: the fallback where no vectors are accelerated (the
/// vector implementations compute a packet's last partial chunk as a whole chunk, which is faster).
/// </summary>
internal static class ChaCha20Scalar
{
    /// <summary>
    /// XORs the keystream from block <paramref name="counter"/> on into <paramref name="output"/>: every byte of
    /// <paramref name="input"/>, the last block possibly partial. The spans have the same length and are the same
    /// memory or do not overlap.
    /// </summary>
    public static void Xor(ReadOnlySpan<uint> key, ulong counter, ulong nonce, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Span<byte> keystream = stackalloc byte[OpenSshChaCha20.BlockSize];
        while (!input.IsEmpty)
        {
            ComputeBlock(key, counter++, nonce, keystream);
            var length = Math.Min(input.Length, OpenSshChaCha20.BlockSize);
            XorBytes(input[..length], keystream[..length], output[..length]);
            input = input[length..];
            output = output[length..];
        }

        // The keystream of a partial last block is not yet on the wire, so it is worth wiping.
        CryptographicOperations.ZeroMemory(keystream);
    }

    private static void ComputeBlock(ReadOnlySpan<uint> key, ulong counter, ulong nonce, Span<byte> keystream)
    {
        uint x0 = ChaCha20Constants.Word0, x1 = ChaCha20Constants.Word1, x2 = ChaCha20Constants.Word2, x3 = ChaCha20Constants.Word3;
        uint x4 = key[0], x5 = key[1], x6 = key[2], x7 = key[3];
        uint x8 = key[4], x9 = key[5], x10 = key[6], x11 = key[7];
        uint x12 = (uint)counter, x13 = (uint)(counter >> 32), x14 = (uint)nonce, x15 = (uint)(nonce >> 32);

        for (var i = 0; i < ChaCha20Constants.DoubleRounds; i++)
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

        BinaryPrimitives.WriteUInt32LittleEndian(keystream, x0 + ChaCha20Constants.Word0);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[4..], x1 + ChaCha20Constants.Word1);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[8..], x2 + ChaCha20Constants.Word2);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[12..], x3 + ChaCha20Constants.Word3);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[16..], x4 + key[0]);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[20..], x5 + key[1]);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[24..], x6 + key[2]);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[28..], x7 + key[3]);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[32..], x8 + key[4]);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[36..], x9 + key[5]);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[40..], x10 + key[6]);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[44..], x11 + key[7]);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[48..], x12 + (uint)counter);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[52..], x13 + (uint)(counter >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[56..], x14 + (uint)nonce);
        BinaryPrimitives.WriteUInt32LittleEndian(keystream[60..], x15 + (uint)(nonce >> 32));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref uint a, ref uint b, ref uint c, ref uint d)
    {
        a += b; d = BitOperations.RotateLeft(d ^ a, 16);
        c += d; b = BitOperations.RotateLeft(b ^ c, 12);
        a += b; d = BitOperations.RotateLeft(d ^ a, 8);
        c += d; b = BitOperations.RotateLeft(b ^ c, 7);
    }

    /// <summary>output = input ⊕ keystream over input's length (in place allowed).</summary>
    public static void XorBytes(ReadOnlySpan<byte> input, ReadOnlySpan<byte> keystream, Span<byte> output)
    {
        var i = 0;
        for (; i + sizeof(ulong) <= input.Length; i += sizeof(ulong))
        {
            var word = MemoryMarshal.Read<ulong>(input[i..]) ^ MemoryMarshal.Read<ulong>(keystream[i..]);
            MemoryMarshal.Write(output[i..], word);
        }

        for (; i < input.Length; i++)
        {
            output[i] = (byte)(input[i] ^ keystream[i]);
        }
    }
}
