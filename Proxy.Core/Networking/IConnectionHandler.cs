using System.Net.Sockets;

namespace HoopProxy.Core.Networking;

/// <summary>Speaks one protocol on accepted connections.</summary>
public interface IConnectionHandler
{
    /// <summary>Serves the connection until it ends. Must not throw for anything the peer does.</summary>
    Task HandleAsync(IncomingConnection connection);

    /// <summary>Tells a client, in the protocol's own terms, that the listener is full, then returns.</summary>
    Task RejectOverloadedAsync(Socket socket, CancellationToken cancellationToken);
}
