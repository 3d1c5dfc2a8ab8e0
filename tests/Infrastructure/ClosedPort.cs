using System.Net;
using System.Net.Sockets;

namespace HoopProxy.Tests.Infrastructure;

/// <summary>
/// A port on 127.0.0.1 nobody listens on, for "the target is down" tests: a socket is bound to it without listening,
/// so a connection is refused at once and no other test or process can take the port while this is held (a port that
/// was merely free a moment ago can be).
/// </summary>
public sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ClosedPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public void Dispose() => _socket.Dispose();
}
