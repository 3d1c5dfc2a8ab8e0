using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace HoopProxy.Core.Networking;

/// <summary>
/// Accepts TCP connections and hands each to a protocol handler, enforcing the connection limit.
/// Shutdown stops accepting, signals every session to drain, waits up to the configured time, then aborts.
/// </summary>
public sealed partial class TcpConnectionListener : IAsyncDisposable
{
    private readonly string _name;
    private readonly IPEndPoint _endpoint;
    private readonly ListenerLimits _limits;
    private readonly IConnectionHandler _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _aborted = new();
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private Socket? _socket;
    private Task _accepting = Task.CompletedTask;
    private long _nextId;
    private int _rejecting;

    private const int MaxConcurrentRejections = 64;

    public TcpConnectionListener(string name, IPEndPoint endpoint, ListenerLimits limits, IConnectionHandler handler, ILogger logger)
    {
        _name = name;
        _endpoint = endpoint;
        _limits = limits;
        _handler = handler;
        _logger = logger;
        LocalEndPoint = endpoint;
    }

    /// <summary>The bound address; with port 0 configured, the port the system chose.</summary>
    public IPEndPoint LocalEndPoint { get; private set; }

    public int ActiveSessions => _sessions.Count;

    public void Start()
    {
        var socket = new Socket(_endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(_endpoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        LogListening(_logger, _name, LocalEndPoint);
        _accepting = AcceptLoopAsync(socket);
    }

    private async Task AcceptLoopAsync(Socket listenSocket)
    {
        while (!_draining.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listenSocket.AcceptAsync(_draining.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                // Per-connection accept failures (ECONNABORTED, EMFILE) must not stop the listener.
                LogAcceptFailed(_logger, _name, e.SocketErrorCode);
                await Task.Delay(10);
                continue;
            }

            // Set here, before any protocol wraps the socket: a TLS stream over a Nagle socket holds a login's small
            // messages back until the client's delayed ACK (40 ms on Linux), once per round trip of the handshake.
            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextId);
            if (_sessions.Count >= _limits.MaxConnections)
            {
                LogRejectedFull(_logger, _name, _limits.MaxConnections);
                // Telling a client why costs a socket for up to five seconds; under a flood, only so many get told.
                if (Interlocked.Increment(ref _rejecting) <= MaxConcurrentRejections)
                {
                    _ = RejectAsync(client);
                }
                else
                {
                    Interlocked.Decrement(ref _rejecting);
                    client.Dispose();
                }

                continue;
            }

            var connection = new IncomingConnection(id, client, _draining.Token, _aborted.Token);
            // Registered before the session runs, removed by it as its last act: the count is never stale.
            var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _sessions[id] = finished.Task;
            _ = RunSessionAsync(connection, finished);
        }
    }

    private async Task RunSessionAsync(IncomingConnection connection, TaskCompletionSource finished)
    {
        // Leave the accept loop before doing any protocol work.
        await Task.Yield();
        try
        {
            await _handler.HandleAsync(connection);
        }
        catch (Exception e)
        {
            // A handler bug must cost one session, never the process.
            LogSessionCrashed(_logger, e, _name, connection.Id);
        }
        finally
        {
            connection.Socket.Dispose();
            _sessions.TryRemove(connection.Id, out _);
            finished.SetResult();
        }
    }

    private async Task RejectAsync(Socket client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _handler.RejectOverloadedAsync(client, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away first; nothing to tell it.
        }
        finally
        {
            client.Dispose();
            Interlocked.Decrement(ref _rejecting);
        }
    }

    /// <summary>Stops accepting, lets sessions drain up to the shutdown timeout, then closes the rest.</summary>
    public async Task StopAsync()
    {
        if (_draining.IsCancellationRequested)
        {
            return;
        }

        await _draining.CancelAsync();
        _socket?.Dispose();
        await _accepting;

        var remaining = _sessions.Values.ToArray();
        if (remaining.Length > 0)
        {
            LogDraining(_logger, _name, remaining.Length, _limits.ShutdownTimeout);
            var all = Task.WhenAll(remaining);
            if (await Task.WhenAny(all, Task.Delay(_limits.ShutdownTimeout)) != all)
            {
                LogAbortingSessions(_logger, _name, _sessions.Count);
                await _aborted.CancelAsync();
                await Task.WhenAny(Task.WhenAll(_sessions.Values.ToArray()), Task.Delay(TimeSpan.FromSeconds(5)));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _draining.Dispose();
        _aborted.Dispose();
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "{Listener} listening on {EndPoint}")]
    private static partial void LogListening(ILogger logger, string listener, IPEndPoint endPoint);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "{Listener} accept failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, string listener, SocketError error);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "{Listener} refused a connection: {Max} sessions already open")]
    private static partial void LogRejectedFull(ILogger logger, string listener, int max);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "{Listener} session {Session} failed unexpectedly")]
    private static partial void LogSessionCrashed(ILogger logger, Exception exception, string listener, long session);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "{Listener} draining {Count} sessions for up to {Timeout}")]
    private static partial void LogDraining(ILogger logger, string listener, int count, TimeSpan timeout);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "{Listener} closing {Count} sessions still open after the drain time")]
    private static partial void LogAbortingSessions(ILogger logger, string listener, int count);
}
