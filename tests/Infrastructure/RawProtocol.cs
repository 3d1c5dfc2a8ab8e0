using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>Just enough of the wire protocol, by hand, to send what no well-behaved client would.</summary>
public static class RawProtocol
{
    public sealed record Message(byte Code, byte[] Body);

    public sealed record ErrorFields(string? Severity, string? SqlState, string? Message);

    /// <summary>A startup packet for the proxy user and target, with any protocol version and extra parameters.</summary>
    public static byte[] StartupPacket(string user, string database, int version = 3 << 16, params (string Name, string Value)[] extra) =>
        StartupPacket(version, [("user", user), ("database", database), .. extra]);

    /// <summary>An untyped startup packet: length, version, name/value pairs, a final zero byte.</summary>
    public static byte[] StartupPacket(int version, params (string Name, string Value)[] parameters)
    {
        var body = new List<byte>();
        foreach (var (name, value) in parameters)
        {
            body.AddRange(Encoding.UTF8.GetBytes(name + "\0" + value + "\0"));
        }

        body.Add(0);
        var packet = new byte[8 + body.Count];
        BinaryPrimitives.WriteInt32BigEndian(packet, packet.Length);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(4), version);
        body.CopyTo(packet, 8);
        return packet;
    }

    public static async Task<Message> ReceiveMessageAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[5];
        await ReceiveExactlyAsync(socket, header, cts.Token);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)) - 4];
        await ReceiveExactlyAsync(socket, body, cts.Token);
        return new Message(header[0], body);
    }

    /// <summary>Everything the peer sends until it closes the connection.</summary>
    public static async Task<byte[]> ReceiveUntilClosedAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var all = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (SocketException)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }

    /// <summary>Parses one ErrorResponse at the start of <paramref name="bytes"/>.</summary>
    public static ErrorFields ParseError(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 5 || bytes[0] != (byte)'E')
        {
            throw new InvalidDataException($"expected an ErrorResponse, got {bytes.Length} bytes starting with '{(bytes.Length > 0 ? (char)bytes[0] : ' ')}'");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(bytes[1..]);
        var body = bytes.Slice(5, length - 4);
        string? severity = null, code = null, message = null;
        var position = 0;
        while (position < body.Length && body[position] != 0)
        {
            var type = body[position++];
            var end = body[position..].IndexOf((byte)0);
            var value = Encoding.UTF8.GetString(body.Slice(position, end));
            position += end + 1;
            switch (type)
            {
                case (byte)'V':
                    severity = value;
                    break;
                case (byte)'C':
                    code = value;
                    break;
                case (byte)'M':
                    message = value;
                    break;
            }
        }

        return new ErrorFields(severity, code, message);
    }

    /// <summary>Fills <paramref name="buffer"/> from the socket; the peer closing first is an error.</summary>
    public static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException($"connection closed after {filled} of {buffer.Length} bytes");
            }

            filled += n;
        }
    }
}
