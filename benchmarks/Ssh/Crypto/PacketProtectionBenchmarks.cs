using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using HoopProxy.Ssh.Transport.Crypto;

namespace HoopProxy.Benchmarks.Ssh.Crypto;

/// <summary>
/// One packet carrying a 32 KiB payload (the size OpenSSH's channels send in bulk) sealed by one
/// <see cref="PacketProtection"/> and opened by its peer, in place, as a proxy does for every packet it relays: the
/// cipher's whole cost per byte crossing the proxy in one direction. GB/s = 32768 B / Mean.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FullCipherNames))]
public class PacketProtectionBenchmarks
{
    private const int PayloadSize = 32 * 1024;

    private PacketProtection _sender = null!;
    private PacketProtection _receiver = null!;
    private byte[] _wire = null!;
    private int _packetSize;
    private uint _sequenceNumber;

    [Params(CipherAlgorithm.ChaCha20Poly1305Name, CipherAlgorithm.Aes128GcmName)]
    public string Cipher { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        if (!PacketProtectionSuite.TryResolve(Cipher, null, out var suite))
        {
            throw new InvalidOperationException($"{Cipher} is not an AEAD cipher we implement");
        }

        var random = new Random(1);
        var key = new byte[suite.KeyLength];
        var iv = new byte[suite.IvLength];
        random.NextBytes(key);
        random.NextBytes(iv);
        _sender = suite.Create(key, iv, []);
        _receiver = suite.Create(key, iv, []);

        var padding = _sender.GetPaddingLength(PayloadSize);
        _packetSize = PacketProtection.LengthFieldSize + 1 + PayloadSize + padding;
        _wire = new byte[_packetSize + _sender.TagLength];
        BinaryPrimitives.WriteUInt32BigEndian(_wire, (uint)(_packetSize - PacketProtection.LengthFieldSize));
        _wire[PacketProtection.LengthFieldSize] = (byte)padding;
        random.NextBytes(_wire.AsSpan(PacketProtection.LengthFieldSize + 1, PayloadSize + padding));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }

    /// <summary>Seal, read the length, open: the packet is plaintext again afterwards. Expected: 0 B.</summary>
    [Benchmark]
    public bool SealAndOpen32KiB()
    {
        var sequenceNumber = _sequenceNumber++;
        _sender.Seal(sequenceNumber, _wire.AsSpan(0, _packetSize), _wire.AsSpan(_packetSize));
        _receiver.ReadPacketLength(sequenceNumber, _wire.AsSpan(0, _receiver.BytesNeededForLength));
        if (!_receiver.TryOpen(sequenceNumber, _wire, _wire))
        {
            throw new InvalidOperationException($"{Cipher} refused its own packet");
        }

        return true;
    }

    /// <summary>Shows the cipher names whole ("aes12(...)h.com" otherwise).</summary>
    private sealed class FullCipherNames : ManualConfig
    {
        public FullCipherNames() => SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(40);
    }
}
