using System.Net;
using System.Net.Sockets;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// A TCP forwarder for tests that keeps every byte: clients connect to <see cref="Port"/> on 127.0.0.1 instead of the
/// proxy's port, each connection is forwarded to the target port, and what the server side sent (and what the client
/// sent) is kept per connection and all together. A byte is kept before it is forwarded, so once a client has seen
/// something, the tap has it. Use plaintext connections (<c>sslmode=disable</c>) to read what was kept.
/// </summary>
public sealed class ByteTap : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<TappedConnection> _connections = [];
    private readonly Task _acceptLoop;

    private ByteTap(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Starts listening on 127.0.0.1 on a free port, forwarding to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public static ByteTap Start(int targetPort) => new(targetPort);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The connections accepted so far, in order.</summary>
    public IReadOnlyList<TappedConnection> Connections
    {
        get
        {
            lock (_gate)
            {
                return [.. _connections];
            }
        }
    }

    /// <summary>Every byte the server side sent on every connection, connection after connection.</summary>
    public byte[] AllServerBytes() => [.. Connections.SelectMany(c => c.ServerBytes())];

    /// <summary>Every byte the clients sent on every connection.</summary>
    public byte[] AllClientBytes() => [.. Connections.SelectMany(c => c.ClientBytes())];

    /// <summary>Waits until every connection accepted so far is closed in both directions.</summary>
    public Task WhenAllClosedAsync(TimeSpan timeout) => Task.WhenAll(Connections.Select(c => c.Completion)).WaitAsync(timeout);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var connection = new TappedConnection(client, _targetPort, _stop.Token);
            lock (_gate)
            {
                _connections.Add(connection);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        foreach (var connection in Connections)
        {
            await connection.DisposeAsync();
        }

        _stop.Dispose();
    }

    /// <summary>One forwarded connection.</summary>
    public sealed class TappedConnection : IAsyncDisposable
    {
        private readonly Socket _client;
        private readonly Socket _server = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        private readonly Lock _gate = new();
        private readonly MemoryStream _fromServer = new();
        private readonly MemoryStream _fromClient = new();

        internal TappedConnection(Socket client, int targetPort, CancellationToken stop)
        {
            _client = client;
            _client.NoDelay = true;
            Completion = RunAsync(targetPort, stop);
        }

        /// <summary>Completes when both directions have ended (or the server could not be reached).</summary>
        public Task Completion { get; }

        /// <summary>What the server side sent to the client so far.</summary>
        public byte[] ServerBytes()
        {
            lock (_gate)
            {
                return _fromServer.ToArray();
            }
        }

        /// <summary>What the client sent so far.</summary>
        public byte[] ClientBytes()
        {
            lock (_gate)
            {
                return _fromClient.ToArray();
            }
        }

        private async Task RunAsync(int targetPort, CancellationToken stop)
        {
            try
            {
                await _server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, targetPort), stop);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                CloseBoth();
                return;
            }

            await Task.WhenAll(CopyAsync(_server, _client, _fromServer, stop), CopyAsync(_client, _server, _fromClient, stop));
            CloseBoth();
        }

        private async Task CopyAsync(Socket from, Socket to, MemoryStream keep, CancellationToken stop)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var read = await from.ReceiveAsync(buffer, SocketFlags.None, stop);
                    if (read == 0)
                    {
                        break;
                    }

                    lock (_gate)
                    {
                        keep.Write(buffer, 0, read);
                    }

                    var sent = 0;
                    while (sent < read)
                    {
                        sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, stop);
                    }
                }

                // End of stream one way: pass the half-close on, so the other side finishes as it would without the tap.
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Either side went away or the tap is stopping: closing both ends the other direction too.
                CloseBoth();
            }
        }

        private void CloseBoth()
        {
            _client.Close();
            _server.Close();
        }

        public async ValueTask DisposeAsync()
        {
            CloseBoth();
            try
            {
                await Completion.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
            }
        }
    }
}
