using BenchmarkDotNet.Attributes;
using HoopProxy.Ssh.Transport.Crypto;

namespace HoopProxy.Benchmarks.Ssh.Crypto;

/// <summary>
/// The Poly1305 half of chacha20-poly1305: the tag over a 32 KiB packet, with each implementation forced. A seal +
/// open (<see cref="PacketProtectionBenchmarks"/>) does this twice. GB/s = 32768 B / Mean.
/// </summary>
[MemoryDiagnoser]
public class Poly1305Benchmarks
{
    private readonly byte[] _message = new byte[32 * 1024];
    private readonly byte[] _key = new byte[Poly1305.KeySize];
    private readonly byte[] _tag = new byte[Poly1305.TagSize];
    private Poly1305Implementation _implementation;

    /// <summary>A <see cref="Poly1305Implementation"/> by name (the enum is internal, parameters must be public).</summary>
    [Params(nameof(Poly1305Implementation.Scalar), nameof(Poly1305Implementation.Vector256))]
    public string Implementation { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        random.NextBytes(_message);
        random.NextBytes(_key);
        _implementation = Enum.Parse<Poly1305Implementation>(Implementation);
    }

    /// <summary>Expected: 0 B.</summary>
    [Benchmark]
    public void Tag32KiB() => Poly1305.ComputeTag(_key, _message, _tag, _implementation);
}
