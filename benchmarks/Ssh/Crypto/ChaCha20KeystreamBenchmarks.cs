using BenchmarkDotNet.Attributes;
using HoopProxy.Ssh.Transport.Crypto;

namespace HoopProxy.Benchmarks.Ssh.Crypto;

/// <summary>
/// The ChaCha20 half of chacha20-poly1305: the keystream XORed in place over the 32 KiB payload of one bulk packet,
/// from block 1 as the payload is, with each implementation forced. A seal + open
/// (<see cref="PacketProtectionBenchmarks"/>) does this twice. GB/s = 32768 B / Mean.
/// </summary>
[MemoryDiagnoser]
public class ChaCha20KeystreamBenchmarks
{
    private readonly byte[] _payload = new byte[32 * 1024];
    private OpenSshChaCha20 _chacha = null!;

    /// <summary>A <see cref="ChaCha20Implementation"/> by name (the enum is internal, parameters must be public).</summary>
    [Params(nameof(ChaCha20Implementation.Scalar), nameof(ChaCha20Implementation.Vector128), nameof(ChaCha20Implementation.Vector256Rows), nameof(ChaCha20Implementation.Vector256))]
    public string Implementation { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        random.NextBytes(_payload);
        var key = new byte[OpenSshChaCha20.KeySize];
        random.NextBytes(key);
        _chacha = new OpenSshChaCha20(key, Enum.Parse<ChaCha20Implementation>(Implementation));
    }

    [GlobalCleanup]
    public void Cleanup() => _chacha.Dispose();

    /// <summary>Expected: 0 B.</summary>
    [Benchmark]
    public void Xor32KiB() => _chacha.Apply(7, 1, _payload, _payload);
}
