using System.Runtime.InteropServices;

namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// The handles open on one SFTP channel, found by the handle bytes of a request without copying them (handles are
/// opaque strings chosen by the server; OpenSSH's are four bytes).
/// </summary>
internal sealed class SftpHandleTable : IDisposable
{
    /// <summary>More than OpenSSH's sftp-server allows (its limit follows the process's open file limit, 1024 by default).</summary>
    public const int MaxOpen = 4096;

    private readonly Dictionary<byte[], SftpOpenHandle> _open = new(HandleBytes.Comparer);
    private readonly Dictionary<byte[], SftpOpenHandle>.AlternateLookup<ReadOnlySpan<byte>> _bySpan;

    public SftpHandleTable()
    {
        _bySpan = _open.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public IEnumerable<SftpOpenHandle> Open => _open.Values;

    public SftpOpenHandle? Find(ReadOnlySpan<byte> handle) => _bySpan.TryGetValue(handle, out var open) ? open : null;

    public void Add(SftpOpenHandle handle)
    {
        if (_open.Count >= MaxOpen && !_open.ContainsKey(handle.Handle))
        {
            throw new SftpDecodingException($"more than {MaxOpen} handles are open");
        }

        // A server reusing a handle it never closed would be wrong; the newer file is the one its requests mean.
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_open, handle.Handle, out var existed);
        if (existed)
        {
            slot!.Dispose();
        }

        slot = handle;
    }

    public void Remove(SftpOpenHandle handle)
    {
        _open.Remove(handle.Handle);
        handle.Dispose();
    }

    public void Dispose()
    {
        foreach (var handle in _open.Values)
        {
            handle.Dispose();
        }

        _open.Clear();
    }

    /// <summary>Handle bytes compared by content, looked up by a span of the packet.</summary>
    private sealed class HandleBytes : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly HandleBytes Comparer = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
