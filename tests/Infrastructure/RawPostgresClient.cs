using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HoopProxy.Postgres.Authentication;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>A typed PostgreSQL message as read off the wire by <see cref="RawPostgresClient"/>.</summary>
public sealed record RawMessage(byte Code, byte[] Body)
{
    /// <summary>The fields of an ErrorResponse or NoticeResponse, by field type ('S', 'C', 'M' …).</summary>
    public Dictionary<char, string> ErrorFields()
    {
        var fields = new Dictionary<char, string>();
        var position = 0;
        while (position < Body.Length && Body[position] != 0)
        {
            var type = (char)Body[position++];
            var end = Array.IndexOf(Body, (byte)0, position);
            fields[type] = Encoding.UTF8.GetString(Body, position, end - position);
            position = end + 1;
        }

        return fields;
    }
}

/// <summary>
/// A deliberately minimal protocol 3.0 client on a bare socket, for sending what no real client would:
/// garbage, absurd lengths, half messages, abrupt aborts. It logs in with a real SCRAM-SHA-256 exchange.
/// </summary>
public sealed class RawPostgresClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawPostgresClient(Socket socket)
    {
        _socket = socket;
    }

    public static async Task<RawPostgresClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawPostgresClient(socket);
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Next typed message, or null when the peer closed (or reset) the connection.</summary>
    public async Task<RawMessage?> ReadMessageAsync()
    {
        if (!await FillAsync(5))
        {
            return null;
        }

        var code = _buffer[_start];
        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + 1));
        if (length < 4 || length > _buffer.Length - 1)
        {
            throw new InvalidDataException($"the proxy sent a message '{(char)code}' with length {length}");
        }

        if (!await FillAsync(1 + length))
        {
            throw new InvalidDataException($"the proxy closed the connection in the middle of message '{(char)code}'");
        }

        var body = _buffer.AsSpan(_start + 5, length - 4).ToArray();
        _start += 1 + length;
        return new RawMessage(code, body);
    }

    /// <summary>Reads until a message of type <paramref name="code"/>; fails on an ErrorResponse or the end of the connection.</summary>
    public async Task<RawMessage> ExpectAsync(char code)
    {
        while (true)
        {
            var message = await ReadMessageAsync() ?? throw new InvalidDataException($"connection closed while waiting for '{code}'");
            if (message.Code == code)
            {
                return message;
            }

            if (message.Code == 'E')
            {
                var fields = message.ErrorFields();
                throw new InvalidDataException($"ErrorResponse while waiting for '{code}': {fields.GetValueOrDefault('C')} {fields.GetValueOrDefault('M')}");
            }
        }
    }

    /// <summary>True when the peer ends the connection (FIN or reset) before <paramref name="timeout"/>; bytes before that are skipped.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var received = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cancel.Token);
                if (received == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Startup, then SCRAM-SHA-256 as the proxy user, then everything up to the first ReadyForQuery.</summary>
    public async Task LoginAsync(string user, string password, string database)
    {
        await SendAsync(StartupPacket(("user", user), ("database", database)));
        var sasl = await ExpectAsync('R');
        if (BinaryPrimitives.ReadInt32BigEndian(sasl.Body) != 10)
        {
            throw new InvalidDataException("the proxy did not ask for SASL");
        }

        var scram = new ScramClientExchange(password);
        var first = Encoding.UTF8.GetBytes(scram.ClientFirst);
        var mechanism = Encoding.UTF8.GetBytes("SCRAM-SHA-256\0");
        var initial = new byte[mechanism.Length + 4 + first.Length];
        mechanism.CopyTo(initial, 0);
        BinaryPrimitives.WriteInt32BigEndian(initial.AsSpan(mechanism.Length), first.Length);
        first.CopyTo(initial, mechanism.Length + 4);
        await SendAsync(Message('p', initial));

        var serverFirst = await ExpectAsync('R');
        var final = scram.HandleServerFirst(Encoding.UTF8.GetString(serverFirst.Body, 4, serverFirst.Body.Length - 4));
        await SendAsync(Message('p', Encoding.UTF8.GetBytes(final)));

        var serverFinal = await ExpectAsync('R');
        scram.VerifyServerFinal(Encoding.UTF8.GetString(serverFinal.Body, 4, serverFinal.Body.Length - 4));
        await ExpectAsync('Z');
    }

    /// <summary>An untyped startup packet for protocol 3.0 with the given parameters.</summary>
    public static byte[] StartupPacket(params (string Name, string Value)[] parameters) =>
        RawProtocol.StartupPacket(3 << 16, parameters);

    /// <summary>A typed message with a correct length field.</summary>
    public static byte[] Message(char code, ReadOnlySpan<byte> body)
    {
        var message = new byte[5 + body.Length];
        message[0] = (byte)code;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + body.Length);
        body.CopyTo(message.AsSpan(5));
        return message;
    }

    /// <summary>A simple Query message.</summary>
    public static byte[] Query(string sql) => Message('Q', Encoding.UTF8.GetBytes(sql + "\0"));

    /// <summary>Closes with a reset (linger 0), the way a killed process or a dropped network looks.</summary>
    public void Abort()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<bool> FillAsync(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        using var cancel = new CancellationTokenSource(ReadTimeout);
        while (_end < count)
        {
            int received;
            try
            {
                received = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancel.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return false;
            }

            if (received == 0)
            {
                return false;
            }

            _end += received;
        }

        return true;
    }
}
