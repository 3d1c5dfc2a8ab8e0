using System.Buffers;
using System.Buffers.Binary;

namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// Cuts one direction of an SFTP stream into packets (<c>uint32 length, byte type, …</c>) wherever the CHANNEL_DATA
/// boundaries fall. File content is never held: a WRITE (client) or DATA (server) is handed over as its fixed fields,
/// and its content then goes, slice by slice as it arrives, into the digest the handler chose. Other packets are parsed
/// in place when they arrive whole, and otherwise gathered in one reused buffer — up to
/// <see cref="MaxHeldPacketLength"/>, since nothing else is needed to describe an SFTP session.
/// </summary>
internal sealed class SftpPacketAssembler(bool fromClient, ISftpPacketHandler handler) : IDisposable
{
    /// <summary>The longest packet held until whole: OpenSSH's sftp-server and client refuse longer ones (SFTP_MAX_MSG_LENGTH).</summary>
    public const int MaxHeldPacketLength = 256 * 1024;

    /// <summary>The longest WRITE or DATA accepted. Their content is not held; a length beyond any implementation's is garbage.</summary>
    public const int MaxContentPacketLength = 1024 * 1024;

    /// <summary>draft-ietf-secsh-filexfer-02 §3: "The maximum size of a handle is 256 bytes".</summary>
    public const int MaxHandleLength = 256;

    private const int LengthAndType = 5;

    /// <summary>uint32 length, type, uint32 id, uint32 handle or data length: what tells a WRITE's or DATA's fixed length.</summary>
    private const int ContentPrefix = 13;

    private readonly SftpPacketType _contentType = fromClient ? SftpPacketType.Write : SftpPacketType.Data;
    private readonly byte[] _small = new byte[ContentPrefix + MaxHandleLength + 12];
    private byte[]? _rented;
    private int _filled;
    private uint _contentLeft;
    private SftpContentDigest? _contentDigest;

    /// <summary>Bytes of the stream in order; a packet that cannot be framed throws <see cref="SftpDecodingException"/>.</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_contentLeft > 0)
            {
                var take = (int)Math.Min(_contentLeft, (uint)data.Length);
                _contentDigest?.Append(data[..take]);
                _contentLeft -= (uint)take;
                data = data[take..];
                if (_contentLeft == 0)
                {
                    _contentDigest = null;
                }

                continue;
            }

            if (_filled == 0)
            {
                // The usual case: the next packet (or a WRITE's or DATA's fixed fields) is here whole; no copy.
                var length = Needed(data, out var known);
                if (known && data.Length >= length)
                {
                    Dispatch(data[..length]);
                    data = data[length..];
                    continue;
                }
            }

            var buffer = _rented ?? _small;
            var needed = Needed(buffer.AsSpan(0, _filled), out var complete);
            if (needed > buffer.Length)
            {
                buffer = Grow(needed);
            }

            var copied = Math.Min(needed - _filled, data.Length);
            data[..copied].CopyTo(buffer.AsSpan(_filled));
            _filled += copied;
            data = data[copied..];
            if (complete && _filled == needed)
            {
                _filled = 0;
                try
                {
                    Dispatch(buffer.AsSpan(0, needed));
                }
                finally
                {
                    ReleaseRented();
                }
            }
        }
    }

    public void Dispose()
    {
        ReleaseRented();
        _contentDigest = null;
        _contentLeft = 0;
    }

    /// <summary>
    /// How many bytes from the packet's start must be at hand for the next step: 5 (length and type), 13 (a WRITE's
    /// handle length), or, when <paramref name="known"/>, all the packet needs before it is dispatched (the whole
    /// packet, or a WRITE's or DATA's fixed fields).
    /// </summary>
    private int Needed(ReadOnlySpan<byte> start, out bool known)
    {
        known = false;
        if (start.Length < LengthAndType)
        {
            return LengthAndType;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(start);
        var type = start[4];
        if (type == (byte)_contentType)
        {
            if (length > MaxContentPacketLength)
            {
                throw new SftpDecodingException($"a {_contentType.ToString().ToUpperInvariant()} packet of {length} bytes is longer than the {MaxContentPacketLength} accepted");
            }

            int fixedFields;
            if (_contentType == SftpPacketType.Data)
            {
                fixedFields = ContentPrefix;
            }
            else if (start.Length < ContentPrefix)
            {
                return ContentPrefix;
            }
            else
            {
                var handleLength = BinaryPrimitives.ReadUInt32BigEndian(start[9..]);
                if (handleLength > MaxHandleLength)
                {
                    throw new SftpDecodingException($"a WRITE names a handle of {handleLength} bytes (at most {MaxHandleLength})");
                }

                // id, handle, uint64 offset, uint32 data length.
                fixedFields = ContentPrefix + (int)handleLength + 12;
            }

            if (fixedFields > 4 + (long)length)
            {
                throw new SftpDecodingException($"a {_contentType.ToString().ToUpperInvariant()} packet of {length} bytes is shorter than its fixed fields");
            }

            known = true;
            return fixedFields;
        }

        if (length == 0)
        {
            throw new SftpDecodingException("a packet of length 0 (it has no type)");
        }

        if (length > MaxHeldPacketLength)
        {
            throw new SftpDecodingException($"a packet of type {type} and {length} bytes is longer than the {MaxHeldPacketLength} the decoder holds");
        }

        known = true;
        return 4 + (int)length;
    }

    /// <summary>A whole packet, or a WRITE's or DATA's fixed fields (then the content follows in the stream).</summary>
    private void Dispatch(ReadOnlySpan<byte> bytes)
    {
        if (bytes[4] != (byte)_contentType)
        {
            handler.OnPacket(fromClient, bytes[4..]);
            return;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var dataLength = BinaryPrimitives.ReadUInt32BigEndian(bytes[^4..]);
        // The content is the last field: it must end where the packet does, or the next packet's start is unknown.
        if ((long)bytes.Length - 4 + dataLength != length)
        {
            throw new SftpDecodingException(
                $"a {_contentType.ToString().ToUpperInvariant()} packet of {length} bytes says its data is {dataLength} bytes, which does not fill it");
        }

        _contentDigest = handler.OnContentHead(fromClient, bytes[4..], dataLength);
        _contentLeft = dataLength;
    }

    private byte[] Grow(int size)
    {
        var larger = ArrayPool<byte>.Shared.Rent(size);
        (_rented ?? _small).AsSpan(0, _filled).CopyTo(larger);
        ReleaseRented();
        _rented = larger;
        return larger;
    }

    private void ReleaseRented()
    {
        if (_rented is { } rented)
        {
            _rented = null;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
