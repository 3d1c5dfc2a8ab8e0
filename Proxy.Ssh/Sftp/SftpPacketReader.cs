using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace HoopProxy.Ssh.Sftp;

/// <summary>
/// Reads the fields of one whole SFTP packet (from its type byte; the length is the framer's). A field that runs past
/// the end stops decoding. Bytes after the last field a request needs are ignored, as OpenSSH's sftp-server ignores
/// them.
/// </summary>
internal ref struct SftpPacketReader
{
    private readonly ReadOnlySpan<byte> _packet;
    private int _position;

    public SftpPacketReader(ReadOnlySpan<byte> packet)
    {
        _packet = packet;
        _position = 0;
    }

    public readonly bool End => _position == _packet.Length;

    public byte ReadByte() => Take(1)[0];

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    /// <summary>A <c>string</c> (uint32 length, then the bytes), as a slice of the packet.</summary>
    public ReadOnlySpan<byte> ReadString()
    {
        var length = ReadUInt32();
        if (length > (uint)(_packet.Length - _position))
        {
            throw new SftpDecodingException($"a packet of type {_packet[0]} holds a string of {length} bytes that runs past its end");
        }

        return Take((int)length);
    }

    /// <summary>A path or a message as text: see <see cref="Text"/>.</summary>
    public string ReadText() => Text(ReadString());

    public SftpAttributes ReadAttributes()
    {
        var flags = ReadUInt32();
        var size = (flags & SftpAttributes.SizeFlag) != 0 ? ReadUInt64() : 0;
        uint uid = 0, gid = 0, permissions = 0, atime = 0, mtime = 0;
        if ((flags & SftpAttributes.UidGidFlag) != 0)
        {
            uid = ReadUInt32();
            gid = ReadUInt32();
        }

        if ((flags & SftpAttributes.PermissionsFlag) != 0)
        {
            permissions = ReadUInt32();
        }

        if ((flags & SftpAttributes.TimesFlag) != 0)
        {
            atime = ReadUInt32();
            mtime = ReadUInt32();
        }

        List<string>? extended = null;
        if ((flags & SftpAttributes.ExtendedFlag) != 0)
        {
            // Each pair takes at least 8 bytes, so a count the packet cannot hold fails on reading, not on allocating.
            var count = ReadUInt32();
            extended = [];
            for (var i = 0u; i < count; i++)
            {
                extended.Add(ReadText());
                ReadString();
            }
        }

        return new SftpAttributes(flags, size, uid, gid, permissions, atime, mtime, extended);
    }

    /// <summary>
    /// SFTP v3 paths are bytes; they are recorded as UTF-8 text, and a byte that is not part of valid UTF-8 is written
    /// as <c>\xNN</c> (so nothing is lost and nothing is replaced silently).
    /// </summary>
    public static string Text(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return Encoding.UTF8.GetString(bytes);
        }

        var text = new StringBuilder(bytes.Length + 16);
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out var consumed);
            if (status == OperationStatus.Done)
            {
                text.Append(rune.ToString());
            }
            else
            {
                consumed = Math.Max(consumed, 1);
                foreach (var b in bytes[..consumed])
                {
                    text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:X2}");
                }
            }

            bytes = bytes[consumed..];
        }

        return text.ToString();
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _packet.Length - _position)
        {
            throw new SftpDecodingException(_packet.IsEmpty
                ? "an empty packet"
                : $"a packet of type {_packet[0]} ends before its fields do ({_packet.Length} bytes)");
        }

        var slice = _packet.Slice(_position, count);
        _position += count;
        return slice;
    }
}
