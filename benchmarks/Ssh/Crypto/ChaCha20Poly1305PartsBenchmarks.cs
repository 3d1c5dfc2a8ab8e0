using BenchmarkDotNet.Attributes;
using HoopProxy.Ssh.Transport.Crypto;

namespace HoopProxy.Benchmarks.Ssh.Crypto;

/// <summary>
/// The two halves of chacha20-poly1305 over the 32 KiB of one bulk packet, each implementation of the ChaCha20
/// keystream separately: which half bounds <see cref="PacketProtectionBenchmarks"/>. A packet costs two keystream
/// passes and two Poly1305 passes per seal + open. GB/s = 32768 B / Mean.
/// </summary>
[MemoryDiagnoser]
public class ChaCha20Poly1305PartsBenchmarks
{
    private const int MessageSize = 32 * 1024;

    private readonly byte[] _message = new byte[MessageSize];
    private readonly byte[] _polyKey = new byte[Poly1305.KeySize];
    private readonly byte[] _tag = new byte[Poly1305.TagSize];
    private OpenSshChaCha20 _chacha = null!;

    /// <summary>A <see cref="ChaCha20Implementation"/> by name (the enum is internal, parameters must be public).</summary>
    [Params(nameof(ChaCha20Implementation.Scalar), nameof(ChaCha20Implementation.Vector128), nameof(ChaCha20Implementation.Vector256))]
    public string Implementation { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        random.NextBytes(_message);
        random.NextBytes(_polyKey);
        var key = new byte[OpenSshChaCha20.KeySize];
        random.NextBytes(key);
        _chacha = new OpenSshChaCha20(key, Enum.Parse<ChaCha20Implementation>(Implementation));
    }

    [GlobalCleanup]
    public void Cleanup() => _chacha.Dispose();

    /// <summary>In place, from block 1 as a payload is. Expected: 0 B.</summary>
    [Benchmark]
    public void ChaCha20Keystream32KiB() => _chacha.Apply(7, 1, _message, _message);

    /// <summary>Does not depend on <see cref="Implementation"/>. Expected: 0 B.</summary>
    [Benchmark]
    public void Poly1305Tag32KiB() => Poly1305.ComputeTag(_polyKey, _message, _tag);
}
