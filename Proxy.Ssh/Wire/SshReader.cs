using System.Buffers.Binary;
using System.Text;

namespace HoopProxy.Ssh.Wire;

/// <summary>
/// Reads the data types of RFC 4251 §5 from one whole message (a decrypted packet payload, a key blob). Values stay
/// slices of the input; a field that runs past the end is a protocol error, since messages arrive whole.
/// </summary>
public ref struct SshReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public SshReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public readonly bool End => _position == _data.Length;

    public byte ReadByte() => Take(1)[0];

    /// <summary>Any non-zero byte is true (RFC 4251: "all non-zero values MUST be interpreted as TRUE").</summary>
    public bool ReadBoolean() => ReadByte() != 0;

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    /// <summary>A <c>string</c>: uint32 length, then that many bytes.</summary>
    public ReadOnlySpan<byte> ReadString()
    {
        var length = ReadUInt32();
        if (length > (uint)Remaining)
        {
            throw Truncated($"a string of {length} bytes");
        }

        return Take((int)length);
    }

    /// <summary>A <c>string</c> holding UTF-8 text (user names, messages); invalid UTF-8 is a protocol error.</summary>
    public string ReadUtf8()
    {
        var bytes = ReadString();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a text field is not valid UTF-8", e);
        }
    }

    /// <summary>A <c>name-list</c>: comma-separated US-ASCII names, none empty.</summary>
    public string[] ReadNameList()
    {
        var bytes = ReadString();
        if (bytes.IsEmpty)
        {
            return [];
        }

        foreach (var b in bytes)
        {
            if (b is < 0x21 or > 0x7E)
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a name-list holds a character that is not printable US-ASCII");
            }
        }

        var names = Encoding.ASCII.GetString(bytes).Split(',');
        if (names.Any(n => n.Length == 0))
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "a name-list holds an empty name");
        }

        return names;
    }

    /// <summary>
    /// An <c>mpint</c> that must be non-negative (shared secrets, RSA values): returns the big-endian magnitude without
    /// the sign byte. A negative value, or a superfluous leading zero, is a protocol error.
    /// </summary>
    public ReadOnlySpan<byte> ReadPositiveMpint()
    {
        var bytes = ReadString();
        if (bytes.IsEmpty)
        {
            return bytes;
        }

        if ((bytes[0] & 0x80) != 0)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, "an mpint that must be positive is negative");
        }

        if (bytes[0] == 0)
        {
            if (bytes.Length == 1 || (bytes[1] & 0x80) == 0)
            {
                throw new SshProtocolException(SshDisconnectReason.ProtocolError, "an mpint has a superfluous leading zero byte");
            }

            return bytes[1..];
        }

        return bytes;
    }

    /// <summary>Exactly <paramref name="count"/> bytes with no length prefix (a KEXINIT cookie), copied.</summary>
    public byte[] ReadRawBytes(int count) => Take(count).ToArray();

    /// <summary>The rest of the message, unread.</summary>
    public ReadOnlySpan<byte> ReadRemaining() => Take(Remaining);

    /// <summary>Nothing may follow the last field of a message.</summary>
    public readonly void ExpectEnd(string what)
    {
        if (!End)
        {
            throw new SshProtocolException(SshDisconnectReason.ProtocolError, $"{Remaining} unexpected bytes after {what}");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw Truncated($"{count} bytes");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly SshProtocolException Truncated(string what) =>
        new(SshDisconnectReason.ProtocolError, $"a message ended early: expected {what} at offset {_position}, {Remaining} left");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
