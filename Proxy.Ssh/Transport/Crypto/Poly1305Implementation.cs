namespace HoopProxy.Ssh.Transport.Crypto;

/// <summary>The ways <see cref="Poly1305"/> can absorb a message; the tests force each one.</summary>
internal enum Poly1305Implementation
{
    /// <summary>One 16-byte block at a time in 64-bit integers: any platform.</summary>
    Scalar,

    /// <summary>Four blocks at a time with AVX2 (<see cref="Poly1305Vector256"/>), the rest as <see cref="Scalar"/>.</summary>
    Vector256,
}

internal static class Poly1305Implementations
{
    public static Poly1305Implementation Fastest { get; } =
        Poly1305Vector256.IsSupported ? Poly1305Implementation.Vector256 : Poly1305Implementation.Scalar;

    public static bool IsSupported(Poly1305Implementation implementation) => implementation switch
    {
        Poly1305Implementation.Scalar => true,
        Poly1305Implementation.Vector256 => Poly1305Vector256.IsSupported,
        _ => false,
    };
}
