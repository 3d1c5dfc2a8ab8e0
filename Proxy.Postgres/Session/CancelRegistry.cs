using System.Collections.Concurrent;
using System.Security.Cryptography;
using HoopProxy.Core.Recording;
using HoopProxy.Postgres.Configuration;
using HoopProxy.Postgres.Protocol.Backend;

namespace HoopProxy.Postgres.Session;

/// <summary>
/// Where a client's cancel key leads: the target, the upstream backend's own key, the session's recording (a cancel
/// is an event of it) and what else in the session must hear of it (a statement waiting for approval is withdrawn).
/// </summary>
public sealed record CancelRoute(PostgresTarget Target, BackendKeyData UpstreamKey, ISessionRecording? Recording = null, SessionCancelHooks? Hooks = null);

/// <summary>Set by the session once its relay runs: what a CancelRequest does inside the proxy besides reaching the server.</summary>
public sealed class SessionCancelHooks
{
    public Action? OnCancel { get; set; }
}

/// <summary>
/// Maps the BackendKeyData the proxy gave a client to the upstream session, so a CancelRequest
/// (which arrives on a new connection, unauthenticated) reaches the right server and nothing else.
/// </summary>
public sealed class CancelRegistry
{
    private readonly ConcurrentDictionary<int, (int Secret, CancelRoute Route)> _routes = new();

    public int Count => _routes.Count;

    /// <summary>Issues a fresh key for a session; the process id is unique among open sessions.</summary>
    public BackendKeyData Register(CancelRoute route)
    {
        while (true)
        {
            var processId = RandomNumberGenerator.GetInt32(1, int.MaxValue);
            var secret = RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
            if (_routes.TryAdd(processId, (secret, route)))
            {
                return new BackendKeyData(processId, secret);
            }
        }
    }

    public void Unregister(BackendKeyData key) => _routes.TryRemove(key.ProcessId, out _);

    /// <summary>Finds the route for a key; the secret is compared in constant time.</summary>
    public bool TryResolve(int processId, int secret, out CancelRoute route)
    {
        if (_routes.TryGetValue(processId, out var entry)
            && CryptographicOperations.FixedTimeEquals(BitConverter.GetBytes(entry.Secret), BitConverter.GetBytes(secret)))
        {
            route = entry.Route;
            return true;
        }

        route = null!;
        return false;
    }
}
