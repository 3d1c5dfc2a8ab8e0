namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>
/// The ways <see cref="OpenSshChaCha20"/> can compute its keystream, widest last. Each one hands the blocks it cannot
/// fill to the next narrower one, so <see cref="Vector256"/> also runs the other two on a packet's last few blocks.
/// </summary>
internal enum ChaCha20Implementation
{
    /// <summary>One block at a time in 32-bit integers: any platform.</summary>
    Scalar,

    /// <summary>Four blocks at a time, one 128-bit vector per state word (SSE2 on x64, AdvSimd on Arm64).</summary>
    Vector128,

    /// <summary>Eight blocks at a time, one 256-bit vector per state word (AVX2).</summary>
    Vector256,
}

internal static class ChaCha20Implementations
{
    /// <summary>The widest implementation this machine accelerates.</summary>
    public static ChaCha20Implementation Fastest { get; } =
        ChaCha20Vector256.IsSupported ? ChaCha20Implementation.Vector256
        : ChaCha20Vector128.IsSupported ? ChaCha20Implementation.Vector128
        : ChaCha20Implementation.Scalar;

    public static bool IsSupported(ChaCha20Implementation implementation) => implementation switch
    {
        ChaCha20Implementation.Scalar => true,
        ChaCha20Implementation.Vector128 => ChaCha20Vector128.IsSupported,
        ChaCha20Implementation.Vector256 => ChaCha20Vector256.IsSupported,
        _ => false,
    };
}
