using System.Buffers;
using System.Security.Cryptography;

namespace HoopProxy.Ssh.Transport.KeyExchange;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> that feeds what is written straight into a hash, so <see cref="Wire.SshWriter"/>
/// can encode the exchange hash input without the whole input (which includes K) ever sitting in one buffer.
/// </summary>
internal sealed class HashingBufferWriter(HashAlgorithmName hash) : IBufferWriter<byte>, IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(hash);
    private byte[] _scratch = new byte[256];

    public void Advance(int count)
    {
        _hash.AppendData(_scratch, 0, count);
        CryptographicOperations.ZeroMemory(_scratch.AsSpan(0, count));
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (sizeHint > _scratch.Length)
        {
            CryptographicOperations.ZeroMemory(_scratch);
            _scratch = new byte[sizeHint];
        }

        return _scratch;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public byte[] Finish() => _hash.GetHashAndReset();

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_scratch);
        _hash.Dispose();
    }
}
