using System.Net;
using System.Net.Sockets;

namespace HoopProxy.Core.Networking;

/// <summary>An accepted client socket, before any protocol has been spoken on it.</summary>
public sealed class IncomingConnection
{
    internal IncomingConnection(long id, Socket socket, CancellationToken draining, CancellationToken aborted)
    {
        Id = id;
        Socket = socket;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        Draining = draining;
        Aborted = aborted;
    }

    /// <summary>Unique within this process; used in logs.</summary>
    public long Id { get; }

    public Socket Socket { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Signalled when the proxy shuts down: finish the current exchange, then end the session.</summary>
    public CancellationToken Draining { get; }

    /// <summary>Signalled when the drain time is over: close now.</summary>
    public CancellationToken Aborted { get; }
}
