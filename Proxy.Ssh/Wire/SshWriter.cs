using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace HoopProxy.Ssh.Wire;

/// <summary>Writes the data types of RFC 4251 §5 into a buffer writer (a packet payload being built, a key blob, an exchange hash input).</summary>
public readonly struct SshWriter(IBufferWriter<byte> output)
{
    public void WriteByte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    /// <summary>Raw bytes with no length (a packet's padding, a MAC).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes) => output.Write(bytes);

    public void WriteString(ReadOnlySpan<byte> bytes)
    {
        WriteUInt32((uint)bytes.Length);
        output.Write(bytes);
    }

    public void WriteUtf8(string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        WriteUInt32((uint)length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(text, span);
        output.Advance(length);
    }

    public void WriteNameList(IEnumerable<string> names) => WriteUtf8(string.Join(',', names));

    /// <summary>
    /// A non-negative <c>mpint</c> from its unsigned big-endian magnitude: leading zero bytes dropped, one zero byte
    /// added when the top bit is set (it would otherwise read as negative); zero is the empty string.
    /// </summary>
    public void WritePositiveMpint(ReadOnlySpan<byte> magnitude)
    {
        var first = magnitude.IndexOfAnyExcept((byte)0);
        if (first < 0)
        {
            WriteUInt32(0);
            return;
        }

        magnitude = magnitude[first..];
        var pad = (magnitude[0] & 0x80) != 0;
        WriteUInt32((uint)(magnitude.Length + (pad ? 1 : 0)));
        if (pad)
        {
            WriteByte(0);
        }

        output.Write(magnitude);
    }
}
