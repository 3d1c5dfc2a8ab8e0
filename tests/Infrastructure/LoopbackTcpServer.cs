using System.Net;
using System.Net.Sockets;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>A TCP server on 127.0.0.1 and a free port, serving each connection with a handler until disposed (the far end of tunnels).</summary>
public sealed class LoopbackTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _loop;

    private LoopbackTcpServer(Func<NetworkStream, Task> serve)
    {
        _listener.Start();
        _loop = AcceptAsync(serve);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Writes back whatever each connection sends.</summary>
    public static LoopbackTcpServer Echo() => new(stream => stream.CopyToAsync(stream));

    public static LoopbackTcpServer Serving(Func<NetworkStream, Task> serve) => new(serve);

    private async Task AcceptAsync(Func<NetworkStream, Task> serve)
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await serve(client.GetStream());
                    }
                    catch (IOException)
                    {
                        // The far side of a tunnel may vanish mid-conversation; that is the test's concern, not the server's.
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Dispose();
        await _loop;
    }
}
