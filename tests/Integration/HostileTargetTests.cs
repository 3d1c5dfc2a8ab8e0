using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Tests.Infrastructure;
using Npgsql;
using NUnit.Framework;
using SslMode = HoopProxy.Postgres.Configuration.SslMode;

namespace HoopProxy.Tests.Integration;

/// <summary>
/// A target that is not what it claims (a man in the middle on the proxy's upstream path), played by a
/// scripted fake server: the proxy must not hand it the target's password or trust its word that login succeeded.
/// </summary>
public sealed class HostileTargetTests
{
    private const string TargetPassword = "the-target-secret";

    private static async Task<(PostgresException Error, string SeenByFake)> LoginThroughProxyAsync(Func<Socket, Task<string>> fakeServer)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        // Every connection gets the same script (a client library may retry a failed login).
        using var stop = new CancellationTokenSource();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var conversations = new System.Collections.Concurrent.ConcurrentBag<Task>();
        var fake = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                conversations.Add(Task.Run(async () =>
                {
                    using (connection)
                    {
                        seen.Enqueue(await fakeServer(connection));
                    }
                }));
            }
        });

        await using var proxy = await ProxyInstance.StartAsync(o => o with
        {
            Targets = new Dictionary<string, PostgresTarget>
            {
                [TestCluster.TargetDatabase] = ProxyInstance.DefaultTarget(SslMode.Disable, port) with { Password = TargetPassword },
            }.ToFrozenDictionary(),
        });
        await using var connection = new NpgsqlConnection(proxy.ConnectionString());
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        await stop.CancelAsync();
        await fake;
        // Each conversation ends when the proxy hangs up; what the fake heard is complete only then.
        await Task.WhenAll(conversations).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(conversations, Is.Not.Empty, "the proxy reached the fake target");
        return (error!, string.Concat(seen));
    }

    [Test]
    public async Task A_cleartext_password_request_on_a_plaintext_connection_gets_no_password()
    {
        var (error, seen) = await LoginThroughProxyAsync(async socket =>
        {
            await ReadStartupAsync(socket);
            await socket.SendAsync(Authentication(3, []), SocketFlags.None);
            return Encoding.UTF8.GetString(await RawProtocol.ReceiveUntilClosedAsync(socket, TimeSpan.FromSeconds(15)));
        });

        Assert.That(error.SqlState, Is.EqualTo("08004"));
        Assert.That(seen, Does.Not.Contain(TargetPassword));
    }

    [Test]
    public async Task AuthenticationOk_before_the_SCRAM_server_signature_is_refused()
    {
        var (error, _) = await LoginThroughProxyAsync(async socket =>
        {
            await ReadStartupAsync(socket);
            await socket.SendAsync(Authentication(10, Encoding.UTF8.GetBytes("SCRAM-SHA-256\0\0")), SocketFlags.None);
            var clientFirst = Encoding.UTF8.GetString(await ReadMessageBodyAsync(socket));
            var clientNonce = clientFirst[(clientFirst.IndexOf("r=", StringComparison.Ordinal) + 2)..];
            await socket.SendAsync(Authentication(11, Encoding.UTF8.GetBytes($"r={clientNonce}fake,s=QSXCR+Q6sek8bf92,i=4096")), SocketFlags.None);
            await ReadMessageBodyAsync(socket);
            // Skips SASLFinal: a real server proves it knows the password there; this one only says "Ok".
            byte[] okAndReady = [.. Authentication(0, []), .. ReadyForQuery()];
            await socket.SendAsync(okAndReady, SocketFlags.None);
            return Encoding.UTF8.GetString(await RawProtocol.ReceiveUntilClosedAsync(socket, TimeSpan.FromSeconds(15)));
        });

        Assert.That(error.SqlState, Is.EqualTo("08004"));
    }

    private static byte[] Authentication(int type, byte[] data)
    {
        var message = new byte[9 + data.Length];
        message[0] = (byte)'R';
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 8 + data.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(5), type);
        data.CopyTo(message, 9);
        return message;
    }

    private static byte[] ReadyForQuery() => [(byte)'Z', 0, 0, 0, 5, (byte)'I'];

    private static async Task ReadStartupAsync(Socket socket)
    {
        var length = new byte[4];
        await RawProtocol.ReceiveExactlyAsync(socket, length);
        await RawProtocol.ReceiveExactlyAsync(socket, new byte[BinaryPrimitives.ReadInt32BigEndian(length) - 4]);
    }

    /// <summary>The body of a typed message, past the SASL mechanism name and length for SASLInitialResponse.</summary>
    private static async Task<byte[]> ReadMessageBodyAsync(Socket socket)
    {
        var body = (await RawProtocol.ReceiveMessageAsync(socket, TimeSpan.FromSeconds(15))).Body;
        var mechanismEnd = Array.IndexOf(body, (byte)0);
        return mechanismEnd > 0 && body.AsSpan(0, mechanismEnd).SequenceEqual("SCRAM-SHA-256"u8) ? body[(mechanismEnd + 5)..] : body;
    }
}
