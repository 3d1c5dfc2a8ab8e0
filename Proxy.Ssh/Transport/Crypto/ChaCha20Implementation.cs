using System.Runtime.Intrinsics.X86;

namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// The ways <see cref="OpenSshChaCha20"/> can compute its keystream. The vector ones compute whole chunks of four or
/// eight blocks, the last one on the stack when the data ends inside it.
/// </summary>
internal enum ChaCha20Implementation
{
    /// <summary>One block at a time in 32-bit integers: any platform.</summary>
    Scalar,

    /// <summary>Four blocks at a time, one 128-bit vector per state word (SSE2 on x64, AdvSimd on Arm64).</summary>
    Vector128,

    /// <summary>Four blocks at a time, one 256-bit vector per state row of two blocks (AVX2 with 16 registers).</summary>
    Vector256Rows,

    /// <summary>Eight blocks at a time, one 256-bit vector per state word (AVX2; fast with AVX-512VL's 32 registers).</summary>
    Vector256,
}

internal static class ChaCha20Implementations
{
    /// <summary>The fastest implementation on this machine (measured by <c>ChaCha20KeystreamBenchmarks</c>).</summary>
    public static ChaCha20Implementation Fastest { get; } =
        ChaCha20Vector256.IsSupported && Avx512F.VL.IsSupported ? ChaCha20Implementation.Vector256
        : ChaCha20Vector256Rows.IsSupported ? ChaCha20Implementation.Vector256Rows
        : ChaCha20Vector128.IsSupported ? ChaCha20Implementation.Vector128
        : ChaCha20Implementation.Scalar;

    public static bool IsSupported(ChaCha20Implementation implementation) => implementation switch
    {
        ChaCha20Implementation.Scalar => true,
        ChaCha20Implementation.Vector128 => ChaCha20Vector128.IsSupported,
        ChaCha20Implementation.Vector256Rows => ChaCha20Vector256Rows.IsSupported,
        ChaCha20Implementation.Vector256 => ChaCha20Vector256.IsSupported,
        _ => false,
    };
}
